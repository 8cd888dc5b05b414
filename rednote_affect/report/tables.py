"""The report's tables: each mart reshaped into rows of formatted cells, the numbers the figures are drawn from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from rednote_affect.classifiers.base import Codebook
from rednote_affect.report.data import (
    AGREEMENT_TASKS,
    BUILT_IN_EVALUATION_SETS,
    VALENCES,
    ReportData,
    by_polarization,
    ordered,
)

MISSING = "–"
IDENTITIES = ("chinese", "foreign", "unknown")


def percent(value: object, decimals: int = 1) -> str:
    return MISSING if value is None or pd.isna(value) else f"{100 * float(value):.{decimals}f}"


def number(value: object, decimals: int = 3) -> str:
    return MISSING if value is None or pd.isna(value) else f"{float(value):.{decimals}f}"


def count(value: object) -> str:
    return MISSING if value is None or pd.isna(value) else f"{int(value):,}"


def p_value(value: object) -> str:
    if value is None or pd.isna(value):
        return MISSING
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def _looks_numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("<", "").replace("%", "").split(" ")[0]
    try:
        float(stripped)
    except ValueError:
        return text == MISSING
    return True


@dataclass(frozen=True)
class Table:
    """Formatted cells; a column whose cells all look numeric is right-aligned."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]


def table(rows: list[dict[str, str]], caption: str) -> Table:
    frame = pd.DataFrame(rows).astype(str)
    numeric = [all(_looks_numeric(cell) for cell in frame[column]) for column in frame.columns]
    return Table(caption, list(frame.columns), frame.to_numpy().tolist(), numeric)


# (header, mart column, how its cells are written)
Column = tuple[str, str, Callable[[object], str]]


def formatted_rows(frame: pd.DataFrame, columns: Sequence[Column]) -> list[dict[str, str]]:
    """One row of formatted cells per row of `frame`, one cell per column spec, in that order."""
    return [{header: write(row[column]) for header, column, write in columns} for _, row in frame.iterrows()]


# ---------------------------------------------------------------------------------------------------- corpus


def corpus_summary(data: ReportData) -> dict[str, str]:
    """The intro's counts: comments, posts, first and last publication date, and comments per identity."""
    comments, posts = data.comments, data.posts
    identities = comments["identity"].value_counts()
    published = posts["published_at"].dropna()
    return {
        "comment_count": count(len(comments)),
        "post_count": count(len(posts)),
        "first_published": str(published.min())[:10] if len(published) else MISSING,
        "last_published": str(published.max())[:10] if len(published) else MISSING,
        "by_identity": ", ".join(
            f"{count(identities[identity])} {identity} ({percent(identities[identity] / len(comments))} %)"
            for identity in ordered(identities.index, IDENTITIES)
        ),
    }


def corpus_table(data: ReportData, codebook: Codebook) -> Table:
    comments, posts = data.comments, data.posts
    themes = ordered([*comments["theme"], *posts["theme"]], codebook.themes)
    identities = ordered(comments["identity"], IDENTITIES)
    counts = pd.crosstab(comments["theme"], comments["identity"]).reindex(
        index=themes, columns=identities, fill_value=0
    )
    post_counts = posts["theme"].value_counts()
    rows = [
        {
            "theme": theme,
            "posts": count(post_counts.get(theme, 0)),
            **{f"{identity} comments": count(counts.at[theme, identity]) for identity in identities},
            "all comments": count(counts.loc[theme].sum()),
        }
        for theme in themes
    ]
    rows.append(
        {
            "theme": "total",
            "posts": count(len(posts)),
            **{f"{identity} comments": count(counts[identity].sum()) for identity in identities},
            "all comments": count(len(comments)),
        }
    )
    return table(
        rows,
        "Posts and comments per theme and commenter identity (posts and comments without a theme "
        "are left out of the theme rows)",
    )


def reconciliation_table(data: ReportData) -> Table:
    totals = (
        data.crawl_reconciliation.groupby("entity")
        .agg(
            file_count=("source_file", "size"),
            raw_count=("raw_count", "sum"),
            kept_count=("kept_count", "sum"),
            superseded_count=("superseded_count", "sum"),
            quarantined_count=("quarantined_count", "sum"),
        )
        .reset_index()
    )
    columns: list[Column] = [
        ("entity", "entity", str),
        ("files", "file_count", count),
        ("raw", "raw_count", count),
        ("kept", "kept_count", count),
        ("superseded", "superseded_count", count),
        ("quarantined", "quarantined_count", count),
    ]
    return table(
        formatted_rows(totals, columns),
        "Raw records read from the crawl and where they went (marts.fct_crawl_reconciliation)",
    )


def identity_sources_table(data: ReportData) -> Table:
    columns: list[Column] = [
        ("identity source", "identity_source", str),
        ("comments", "comment_count", count),
        ("% of comments", "comment_share", percent),
        ("authors", "author_count", count),
        ("% of authors", "author_share", percent),
    ]
    return table(
        formatted_rows(data.identity_sources.sort_values("source_order"), columns),
        "Where each commenter identity comes from: the comment's own IP location, the same author's "
        "IP location in another record (author history), the opt-in classifier (inferred), or "
        "nowhere (unknown) (marts.fct_identity_sources)",
    )


# ---------------------------------------------------------------------------------------------------- findings


def _finding_value(metric: str, value: object) -> str:
    return f"{percent(value)} %" if metric.endswith("_share") and not pd.isna(value) else number(value)


def headline_findings_table(data: ReportData) -> Table:
    """One row per finding: subject, runner-up and verdict over all labels, then over confident labels only."""
    rows = []
    for _, pair in data.headline_findings.sort_values("finding_key").groupby("finding_key", sort=False):
        scoped = pair.set_index("label_scope")
        finding = scoped.loc["all"]
        metric = finding["metric"]
        row = {"finding": finding["finding"], "subject": finding["subject"], "metric": metric}
        for scope in ("all", "confident"):
            result = scoped.loc[scope]
            runner_up = result["runner_up_subject"]
            row[f"{scope}: subject value"] = _finding_value(metric, result["subject_value"])
            row[f"{scope}: runner-up"] = (
                MISSING
                if pd.isna(runner_up)
                else f"{runner_up} {_finding_value(metric, result['runner_up_value'])}"
            )
            row[f"{scope}: comments"] = (
                f"{count(result['subject_comment_count'])} of {count(result['comment_count'])}"
            )
            row[f"{scope}: holds"] = "yes" if result["finding_holds"] else "no"
        if not scoped.at["all", "finding_holds"]:
            row["survives label error"] = "n/a: does not hold"
        else:
            row["survives label error"] = "yes" if scoped.at["confident", "finding_holds"] else "no"
        rows.append(row)
    return table(rows, "Headline findings over all labels and over confident labels only")


def confident_label_threshold(data: ReportData) -> str:
    return number(data.headline_findings["confident_label_threshold"].iloc[0], 2)


# ---------------------------------------------------------------------------------------------------- figures' tables


def emotion_by_stance_tables(data: ReportData, codebook: Codebook) -> list[Table]:
    frame = data.emotion_by_theme_stance
    frame = frame[frame["identity"] == "all"]
    association = data.emotion_stance_association
    themes = ordered(frame["theme"], codebook.themes)
    emotions = ordered(frame["emotion"], codebook.emotions)
    stances = ordered(frame["stance"], codebook.stances)
    cells = frame.set_index(["theme", "emotion", "stance"])
    stance_totals = frame.groupby(["theme", "stance"])["stance_identity_total"].max()
    residuals = association.set_index(["theme", "emotion", "stance"])["adjusted_residual"]
    theme_statistics = association.groupby("theme").first()

    statistic_rows = []
    for theme in themes:
        row = {
            "theme": theme,
            **{f"n {stance}": count(stance_totals.get((theme, stance))) for stance in stances},
        }
        statistics = (
            theme_statistics.loc[theme] if theme in theme_statistics.index else pd.Series(dtype=object)
        )
        low_expected = statistics.get("is_low_expected")
        row.update(
            {
                "chi-square": number(statistics.get("chi_square"), 2),
                "dof": count(statistics.get("degrees_of_freedom")),
                "p": p_value(statistics.get("p_value")),
                "Cramér's V": number(statistics.get("cramers_v")),
                "expected < 5 (%)": percent(statistics.get("low_expected_share")),
                "low expected": MISSING
                if low_expected is None or pd.isna(low_expected)
                else ("yes" if bool(low_expected) else "no"),
            }
        )
        statistic_rows.append(row)

    share_rows = []
    for theme in themes:
        for emotion in emotions:
            row = {"theme": theme, "emotion": emotion}
            for stance in stances:
                present = (theme, emotion, stance) in cells.index
                cell = cells.loc[(theme, emotion, stance)] if present else None
                row[f"{stance} n"] = count(cell["comment_count"]) if present else MISSING
                row[f"{stance} % (95% CI)"] = (
                    f"{percent(cell['share_within_stance'])} ({percent(cell['share_within_stance_lower'])}"
                    f"–{percent(cell['share_within_stance_upper'])})"
                    if present
                    else MISSING
                )
                row[f"{stance} adj. residual"] = number(residuals.get((theme, emotion, stance)), 2)
            share_rows.append(row)
    return [
        table(statistic_rows, "Comments per stance and chi-square test of emotion × stance"),
        table(share_rows, "Cell counts, shares within stance (Wilson 95% CI) and residuals"),
    ]


def identity_asymmetry_tables(data: ReportData, codebook: Codebook) -> list[Table]:
    frame = data.identity_asymmetry
    themes = ordered(frame["theme"], codebook.themes)
    emotions = ordered(frame["emotion"], codebook.emotions)
    cells = frame.set_index(["theme", "emotion"])
    by_theme = identity_totals(data)
    summary = [
        {
            "theme": theme,
            "Jensen–Shannon divergence": number(by_theme.at[theme, "js_divergence"], 4),
            "chinese comments": count(by_theme.at[theme, "chinese_total"]),
            "foreign comments": count(by_theme.at[theme, "foreign_total"]),
        }
        for theme in themes
    ]
    detail = [
        {
            "theme": theme,
            "emotion": emotion,
            "chinese n": count(cell["chinese_count"]),
            "chinese %": percent(cell["chinese_share"]),
            "foreign n": count(cell["foreign_count"]),
            "foreign %": percent(cell["foreign_share"]),
            "share_difference (pp)": number(100 * cell["share_difference"], 1),
        }
        for theme in themes
        for emotion in emotions
        if (theme, emotion) in cells.index
        for cell in [cells.loc[(theme, emotion)]]
    ]
    return [
        table(summary, "Jensen–Shannon divergence and comments per identity"),
        table(detail, "Emotion counts and shares by identity"),
    ]


def identity_totals(data: ReportData) -> pd.DataFrame:
    """Per theme: its Jensen–Shannon divergence and its Chinese and foreign comment counts."""
    return data.identity_asymmetry.groupby("theme").agg(
        js_divergence=("js_divergence", "first"),
        chinese_total=("chinese_count", "sum"),
        foreign_total=("foreign_count", "sum"),
    )


def polarization_table(data: ReportData, codebook: Codebook) -> Table:
    columns: list[Column] = [
        ("polarization_rank", "polarization_rank", count),
        ("theme", "theme", str),
        ("comments", "comment_count", count),
        ("pro_china %", "pro_china_share", percent),
        ("neutral %", "neutral_share", percent),
        ("pro_foreign %", "pro_foreign_share", percent),
        ("mean_stance_position", "mean_stance_position", number),
        ("stance_polarization", "stance_polarization", number),
        ("mean_valence", "mean_valence", number),
        ("affective_polarization", "affective_polarization", number),
        ("emotion entropy (normalized)", "emotion_entropy_normalized", number),
    ]
    frame = by_polarization(data.theme_polarization, codebook.themes)
    return table(formatted_rows(frame, columns), "Polarization per theme")


# ---------------------------------------------------------------------------------------------------- agreement


def evaluation_sets(data: ReportData) -> list[str]:
    return ordered(data.classifier_agreement["evaluation_set"], BUILT_IN_EVALUATION_SETS)


def agreement_summary(data: ReportData) -> pd.DataFrame:
    """One row per (evaluation set, task): the per-task columns of fct_classifier_agreement."""
    columns = ["accuracy", "macro_f1", "cohens_kappa", "expected_calibration_error", "evaluated_count"]
    return data.classifier_agreement.groupby(["evaluation_set", "task"])[columns].first()


def classifier_lineage(data: ReportData) -> str:
    frame = data.classifier_agreement
    parts = [
        ", ".join(sorted({str(value) for value in frame[column].dropna()})) or MISSING
        for column in ("classifier_backend", "classifier_model", "classifier_version")
    ]
    return f"{parts[0]}, model {parts[1]}, version {parts[2]}"


def agreement_overview(data: ReportData) -> list[dict[str, str]]:
    """Per evaluation set: its size, valence accuracy, emotion accuracy and macro-F1, stance macro-F1, ECE."""
    summary = agreement_summary(data)

    def cell(evaluation_set: str, task: str, column: str) -> str:
        key = (evaluation_set, task)
        return number(summary.at[key, column]) if key in summary.index else MISSING

    return [
        {
            "evaluation set": evaluation_set,
            "comments": count(summary.loc[evaluation_set, "evaluated_count"].max()),
            "valence accuracy": cell(evaluation_set, "valence", "accuracy"),
            "emotion accuracy": cell(evaluation_set, "emotion", "accuracy"),
            "emotion macro-F1": cell(evaluation_set, "emotion", "macro_f1"),
            "emotion κ": cell(evaluation_set, "emotion", "cohens_kappa"),
            "emotion ECE": cell(evaluation_set, "emotion", "expected_calibration_error"),
            "stance macro-F1": cell(evaluation_set, "stance", "macro_f1"),
            "stance κ": cell(evaluation_set, "stance", "cohens_kappa"),
            "stance ECE": cell(evaluation_set, "stance", "expected_calibration_error"),
        }
        for evaluation_set in evaluation_sets(data)
    ]


def agreement_tables(data: ReportData, codebook: Codebook) -> list[Table]:
    sets = evaluation_sets(data)
    summary_rows = agreement_overview(data)
    tables = [table(summary_rows, "Agreement per evaluation set (ECE: expected calibration error)")]
    label_orders = {"emotion": codebook.emotions, "stance": codebook.stances, "valence": VALENCES}
    cells = data.classifier_agreement.set_index(["evaluation_set", "task", "label"])
    for evaluation_set in sets:
        in_set = data.classifier_agreement[data.classifier_agreement["evaluation_set"] == evaluation_set]
        rows = [
            {
                "task": task,
                "label": label,
                "precision": number(cell["precision"]),
                "recall": number(cell["recall"]),
                "f1": number(cell["f1"]),
                "gold count": count(cell["gold_count"]),
                "predicted": count(cell["predicted_count"]),
            }
            for task in ordered(in_set["task"], AGREEMENT_TASKS)
            for label in ordered(in_set.loc[in_set["task"] == task, "label"], label_orders.get(task, ()))
            for cell in [cells.loc[(evaluation_set, task, label)]]
        ]
        tables.append(table(rows, f"{evaluation_set}: precision, recall and F1 per label"))
    return tables
