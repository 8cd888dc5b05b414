"""The report's data layer: reads the marts the `study_report` exposure depends on (models/marts/_marts__models.yml).

Every mart column the report reads is named here and only here, in MART_COLUMNS, under the mart's own name, so a
renamed column is a one-line change. The marts' contracts are enforced by dbt; a warehouse that lacks one fails
with DuckDB's own message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

# mart -> the columns the report reads
MART_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_posts": ("note_id", "theme", "published_at"),
    "fct_comments": ("comment_id", "theme", "identity"),
    "fct_crawl_reconciliation": (
        "entity",
        "source_file",
        "raw_count",
        "kept_count",
        "superseded_count",
        "quarantined_count",
    ),
    "fct_emotion_by_theme_stance": (
        "theme",
        "stance",
        "identity",
        "emotion",
        "comment_count",
        "stance_identity_total",
        "share_within_stance",
        "share_within_stance_lower",
        "share_within_stance_upper",
    ),
    "fct_theme_polarization": (
        "theme",
        "comment_count",
        "pro_china_share",
        "neutral_share",
        "pro_foreign_share",
        "mean_stance_position",
        "stance_polarization",
        "mean_valence",
        "affective_polarization",
        "polarization_rank",
        "emotion_entropy_normalized",
    ),
    "fct_identity_asymmetry": (
        "theme",
        "emotion",
        "chinese_count",
        "chinese_share",
        "foreign_count",
        "foreign_share",
        "share_difference",
        "js_divergence",
    ),
    "fct_emotion_stance_association": (
        "theme",
        "emotion",
        "stance",
        "adjusted_residual",
        "chi_square",
        "degrees_of_freedom",
        "p_value",
        "cramers_v",
        "low_expected_share",
        "is_low_expected",
    ),
    "fct_classifier_agreement": (
        "evaluation_set",
        "task",
        "label",
        "precision",
        "recall",
        "f1",
        "gold_count",
        "predicted_count",
        "accuracy",
        "macro_f1",
        "cohens_kappa",
        "expected_calibration_error",
        "evaluated_count",
        "classifier_backend",
        "classifier_model",
        "classifier_version",
    ),
    "fct_identity_sources": (
        "identity_source",
        "source_order",
        "comment_count",
        "comment_share",
        "author_count",
        "author_share",
    ),
    "fct_headline_findings": (
        "finding_key",
        "finding",
        "label_scope",
        "subject",
        "metric",
        "subject_value",
        "runner_up_subject",
        "runner_up_value",
        "finding_holds",
        "subject_comment_count",
        "comment_count",
        "confident_label_threshold",
    ),
}


@dataclass(frozen=True)
class ReportData:
    """One frame per mart (columns named as in MART_COLUMNS), attributes named after the mart less its prefix."""

    database_name: str
    posts: pd.DataFrame
    comments: pd.DataFrame
    crawl_reconciliation: pd.DataFrame
    emotion_by_theme_stance: pd.DataFrame
    theme_polarization: pd.DataFrame
    identity_asymmetry: pd.DataFrame
    emotion_stance_association: pd.DataFrame
    classifier_agreement: pd.DataFrame
    headline_findings: pd.DataFrame
    identity_sources: pd.DataFrame


def read_marts(database_path: str | Path) -> ReportData:
    """Read every mart of MART_COLUMNS over a read-only connection."""
    path = Path(database_path)
    if not path.is_file():
        raise FileNotFoundError(f"warehouse database not found: {path} (build it with dbt first)")
    frames = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        for mart, columns in MART_COLUMNS.items():
            select_list = ", ".join(f'"{column}"' for column in columns)
            try:
                frames[mart.removeprefix("fct_")] = connection.execute(
                    f"select {select_list} from marts.{mart}"
                ).df()
            except duckdb.Error as error:
                raise ValueError(f"{path}: cannot read marts.{mart}: {error}") from error
    return ReportData(database_name=path.name, **frames)


def ordered(values: Iterable[object], preferred: Sequence[str]) -> list[str]:
    """The distinct values in `preferred` (codebook) order; values it does not know follow, sorted."""
    present = {str(value) for value in values if not pd.isna(value)}
    return [label for label in preferred if label in present] + sorted(present - set(preferred))


# The evaluation sets every build measures, first; configured ones follow alphabetically.
BUILT_IN_EVALUATION_SETS = ("gold_test", "written_test")
AGREEMENT_TASKS = ("emotion", "stance", "valence")
VALENCES = ("positive", "neutral", "negative")


def by_polarization(theme_polarization: pd.DataFrame, themes: Sequence[str]) -> pd.DataFrame:
    """Themes from most to least stance-polarized; ties (and themes without comments, last) in codebook order."""
    position = {theme: index for index, theme in enumerate(themes)}
    return (
        theme_polarization.assign(_position=theme_polarization["theme"].map(position).fillna(len(position)))
        .sort_values(
            ["stance_polarization", "_position", "theme"], ascending=[False, True, True], na_position="last"
        )
        .drop(columns="_position")
        .reset_index(drop=True)
    )
