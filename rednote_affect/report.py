"""The static HTML report: reads the marts from the DuckDB warehouse and writes reports/index.html plus one PNG per
figure.

The page is self-contained (figures embedded as base64 PNG, inline CSS, one tiny inline script, nothing fetched from
anywhere) and every figure is followed by the numeric table it was drawn from, so readers can check it.

    python -m rednote_affect.report --database warehouse/rednote.duckdb --out reports
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import math
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rednote_affect.classifiers.base import Codebook, load_codebook

# One entry per figure: file stem -> heading. The PNG files are `<stem>.png` in the output folder.
FIGURE_FILES: dict[str, str] = {
    "emotion_by_stance": "Emotions within each stance, per theme",
    "identity_emotion_asymmetry": "Chinese and foreign commenters' emotions, per theme",
    "polarization_ranking": "Themes ranked by stance polarisation",
    "classifier_agreement": "Classifier agreement with the gold labels",
}

# Columns the report reads from each required mart (schema `marts`).
REQUIRED_MART_COLUMNS: dict[str, tuple[str, ...]] = {
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
        "emotion_balance",
        "polarization_rank",
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
        "observed_count",
        "adjusted_residual",
        "theme_comment_count",
        "chi_square",
        "degrees_of_freedom",
        "p_value",
        "cramers_v",
        "low_expected_share",
        "is_low_expected",
    ),
    "fct_classifier_agreement": (
        "task",
        "label",
        "precision",
        "recall",
        "f1",
        "support",
        "predicted_count",
        "accuracy",
        "macro_f1",
        "cohens_kappa",
        "evaluated_count",
        "classifier_backend",
        "classifier_model",
        "classifier_version",
    ),
}

# |adjusted residual| above this marks a cell that departs from independence at the 5 % level (uncorrected).
RESIDUAL_MARK = 1.96
CHINESE_COLOUR = "#c0392b"
FOREIGN_COLOUR = "#2c7fb8"
FIGURE_DPI = 110
PANEL_COLUMNS = 4
MISSING = "–"


# ---------------------------------------------------------------------------------------------------- data


@dataclass
class MartData:
    """Everything the report shows, read from the warehouse. Optional parts are None when their mart is absent."""

    emotion_by_theme_stance: pd.DataFrame
    theme_polarization: pd.DataFrame
    identity_asymmetry: pd.DataFrame
    association: pd.DataFrame
    classifier_agreement: pd.DataFrame
    # posts per theme (theme, post_count, first_published, last_published) from fct_posts
    posts_by_theme: pd.DataFrame | None = None
    # comments per theme and identity (theme, identity, comment_count) from fct_comments
    comments_by_theme_identity: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)  # what was missing, said in the intro


def read_marts(database_path: str | Path) -> MartData:
    """Read the marts the report needs over a read-only connection; fail clearly on a missing mart or column."""
    path = Path(database_path)
    if not path.is_file():
        raise FileNotFoundError(f"warehouse database not found: {path} (build it with dbt first)")
    connection = duckdb.connect(str(path), read_only=True)
    try:
        columns_by_table: dict[str, set[str]] = {}
        for table_name, column_name in connection.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and table_catalog = current_database()"
        ).fetchall():
            columns_by_table.setdefault(table_name, set()).add(column_name)

        problems = []
        for table_name, required in REQUIRED_MART_COLUMNS.items():
            if table_name not in columns_by_table:
                problems.append(f"marts.{table_name} is missing")
            elif missing := sorted(set(required) - columns_by_table[table_name]):
                problems.append(f"marts.{table_name} lacks columns {missing}")
        if problems:
            raise ValueError(f"{path}: cannot render the report: " + "; ".join(problems))

        def read(table_name: str) -> pd.DataFrame:
            column_list = ", ".join(f'"{column}"' for column in REQUIRED_MART_COLUMNS[table_name])
            return connection.execute(f"select {column_list} from marts.{table_name}").df()

        data = MartData(
            emotion_by_theme_stance=read("fct_emotion_by_theme_stance"),
            theme_polarization=read("fct_theme_polarization"),
            identity_asymmetry=read("fct_identity_asymmetry"),
            association=read("fct_emotion_stance_association"),
            classifier_agreement=read("fct_classifier_agreement"),
        )

        post_columns = columns_by_table.get("fct_posts", set())
        if {"theme"} <= post_columns:
            dates = (
                "min(published_at) as first_published, max(published_at) as last_published"
                if "published_at" in post_columns
                else "null as first_published, null as last_published"
            )
            data.posts_by_theme = connection.execute(
                f"select theme, count(*) as post_count, {dates} from marts.fct_posts group by theme"
            ).df()
        else:
            data.notes.append("marts.fct_posts is not in the warehouse, so post counts are not shown.")

        comment_columns = columns_by_table.get("fct_comments", set())
        if {"theme", "identity"} <= comment_columns:
            data.comments_by_theme_identity = connection.execute(
                'select theme, "identity", count(*) as comment_count from marts.fct_comments group by all'
            ).df()
        else:
            data.notes.append(
                "marts.fct_comments is not in the warehouse: comment counts below are those of the classified "
                "comments in marts.fct_emotion_by_theme_stance."
            )
        return data
    finally:
        connection.close()


def _ordered(values: Iterable[object], preferred: Sequence[str]) -> list[str]:
    """The distinct values in codebook order; values the codebook does not know follow, sorted."""
    present = {str(value) for value in values if not pd.isna(value)}
    return [label for label in preferred if label in present] + sorted(present - set(preferred))


# ---------------------------------------------------------------------------------------------------- formatting


def _percent(value: object, decimals: int = 1) -> str:
    return MISSING if value is None or pd.isna(value) else f"{100 * float(value):.{decimals}f}"


def _number(value: object, decimals: int = 3) -> str:
    return MISSING if value is None or pd.isna(value) else f"{float(value):.{decimals}f}"


def _count(value: object) -> str:
    return MISSING if value is None or pd.isna(value) else f"{int(value):,}"


def _p_value(value: object) -> str:
    if value is None or pd.isna(value):
        return MISSING
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def _html_table(frame: pd.DataFrame, caption: str) -> str:
    """A plain HTML table of already formatted cells; columns whose cells all look numeric are right-aligned."""

    def looks_numeric(text: str) -> bool:
        stripped = text.replace(",", "").replace("<", "").replace("%", "").split(" ")[0]
        try:
            float(stripped)
        except ValueError:
            return text == MISSING
        return True

    numeric = [all(looks_numeric(str(cell)) for cell in frame[column]) for column in frame.columns]
    header = "".join(
        f'<th class="{"num" if is_numeric else "text"}">{html.escape(str(column))}</th>'
        for column, is_numeric in zip(frame.columns, numeric, strict=True)
    )
    body_rows = []
    for row in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="{"num" if is_numeric else "text"}">{html.escape(str(cell))}</td>'
            for cell, is_numeric in zip(row, numeric, strict=True)
        )
        body_rows.append(f"<tr>{cells}</tr>")
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(body_rows)}</tbody></table>"
    )


# ---------------------------------------------------------------------------------------------------- fonts


def cjk_font_family() -> str | None:
    """A font family that renders Chinese and that matplotlib knows, from `fc-list :lang=zh`; None if none."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        output = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    known_families = {entry.name for entry in font_manager.fontManager.ttflist}
    for line in output.splitlines():
        for family in line.split(","):  # fc-list prints "Noto Sans CJK SC,Noto Sans CJK SC Regular"
            if family.strip() in known_families:
                return family.strip()
    return None


def _font_settings() -> dict[str, object]:
    # DejaVu Sans first for Latin text; matplotlib falls back per glyph to the CJK family for Chinese.
    families = ["DejaVu Sans"]
    cjk_family = cjk_font_family()
    if cjk_family:
        families.append(cjk_family)
    return {"font.family": "sans-serif", "font.sans-serif": families, "font.size": 9}


# ---------------------------------------------------------------------------------------------------- figures


@dataclass
class FigureSection:
    stem: str  # file stem, a key of FIGURE_FILES
    figure: Figure | None  # None when there was nothing to draw
    caption: str
    tables: list[str]  # HTML tables the figure was drawn from
    png: bytes = b""


def _panel_grid(panel_count: int, panel_width: float, panel_height: float) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure with one axes per panel; spare grid cells are hidden."""
    column_count = min(PANEL_COLUMNS, max(panel_count, 1))
    row_count = math.ceil(max(panel_count, 1) / column_count)
    figure = Figure(figsize=(panel_width * column_count, panel_height * row_count), layout="constrained")
    axes_grid = figure.subplots(row_count, column_count, squeeze=False, sharey=True)
    axes = list(axes_grid.ravel())
    for spare in axes[panel_count:]:
        spare.set_axis_off()
    return figure, axes[:panel_count]


def _emotion_by_stance_section(data: MartData, codebook: Codebook) -> FigureSection:
    stem = "emotion_by_stance"
    frame = data.emotion_by_theme_stance
    frame = frame[frame["identity"] == "all"]
    if frame.empty:
        return FigureSection(
            stem, None, "marts.fct_emotion_by_theme_stance has no rows for identity 'all'.", []
        )
    themes = _ordered(frame["theme"], codebook.themes)
    emotions = _ordered(frame["emotion"], codebook.emotions)
    stances = _ordered(frame["stance"], codebook.stances)
    cells = frame.set_index(["theme", "emotion", "stance"])
    stance_totals = frame.groupby(["theme", "stance"])["stance_identity_total"].max()
    residuals = data.association.set_index(["theme", "emotion", "stance"])["adjusted_residual"]
    theme_statistics = data.association.groupby("theme").first()
    colour_max = max(float(np.nanmax(frame["share_within_stance"].to_numpy(dtype=float), initial=0.0)), 0.01)

    figure, axes = _panel_grid(len(themes), panel_width=3.3, panel_height=4.4)
    image = None
    for axes_index, (theme, panel) in enumerate(zip(themes, axes, strict=True)):
        shares = np.full((len(emotions), len(stances)), np.nan)
        for row, emotion in enumerate(emotions):
            for column, stance in enumerate(stances):
                if (theme, emotion, stance) in cells.index:
                    shares[row, column] = cells.at[(theme, emotion, stance), "share_within_stance"]
        image = panel.imshow(shares, cmap="Blues", vmin=0.0, vmax=colour_max, aspect="auto")
        for row, emotion in enumerate(emotions):
            for column, stance in enumerate(stances):
                value = shares[row, column]
                if np.isnan(value):
                    continue
                residual = residuals.get((theme, emotion, stance), np.nan)
                mark = (
                    ""
                    if pd.isna(residual) or abs(residual) <= RESIDUAL_MARK
                    else ("+" if residual > 0 else "−")
                )
                panel.text(
                    column,
                    row,
                    f"{100 * value:.0f}%{mark}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > 0.55 * colour_max else "black",
                )
        panel.set_xticks(
            range(len(stances)),
            [f"{stance}\nn={_count(stance_totals.get((theme, stance)))}" for stance in stances],
            fontsize=7,
        )
        panel.set_yticks(range(len(emotions)), emotions)
        title = theme
        if theme in theme_statistics.index and not pd.isna(theme_statistics.at[theme, "cramers_v"]):
            statistics = theme_statistics.loc[theme]
            p_text = _p_value(statistics["p_value"])
            title += (
                f"\nV={statistics['cramers_v']:.2f}, p{p_text if p_text.startswith('<') else '=' + p_text}"
            )
            if bool(statistics["is_low_expected"]):
                title += " (low E)"
        panel.set_title(title, fontsize=9)
        if axes_index % PANEL_COLUMNS:
            panel.tick_params(axis="y", labelleft=False)
    figure.colorbar(image, ax=axes, shrink=0.6, label="share of the stance's comments")
    figure.suptitle(
        "Emotion × stance per theme: share of each stance's comments with that emotion (all commenters)"
    )

    share_rows = []
    for theme in themes:
        for emotion in emotions:
            row: dict[str, str] = {"theme": theme, "emotion": emotion}
            for stance in stances:
                present = (theme, emotion, stance) in cells.index
                cell = cells.loc[(theme, emotion, stance)] if present else None
                row[f"{stance} n"] = _count(cell["comment_count"]) if present else MISSING
                row[f"{stance} % (95% CI)"] = (
                    f"{_percent(cell['share_within_stance'])} ({_percent(cell['share_within_stance_lower'])}"
                    f"–{_percent(cell['share_within_stance_upper'])})"
                    if present
                    else MISSING
                )
                row[f"{stance} adj. residual"] = _number(residuals.get((theme, emotion, stance)), 2)
            share_rows.append(row)
    statistic_rows = []
    for theme in themes:
        statistics = theme_statistics.loc[theme] if theme in theme_statistics.index else None
        row = {"theme": theme}
        for stance in stances:
            row[f"n {stance}"] = _count(stance_totals.get((theme, stance)))
        row.update(
            {
                "chi-square": MISSING if statistics is None else _number(statistics["chi_square"], 2),
                "dof": MISSING if statistics is None else _count(statistics["degrees_of_freedom"]),
                "p": MISSING if statistics is None else _p_value(statistics["p_value"]),
                "Cramér's V": MISSING if statistics is None else _number(statistics["cramers_v"]),
                "expected < 5 (%)": MISSING
                if statistics is None
                else _percent(statistics["low_expected_share"]),
                "low expected": MISSING
                if statistics is None or pd.isna(statistics["is_low_expected"])
                else ("yes" if bool(statistics["is_low_expected"]) else "no"),
            }
        )
        statistic_rows.append(row)
    caption = (
        "Each panel is one theme; a cell is the share of that stance's comments (column) that carry the emotion (row), "
        "so each column sums to 100 %. + / − mark cells whose adjusted residual of the chi-square test of "
        f"independence exceeds ±{RESIDUAL_MARK} (more / fewer comments than independence predicts; not corrected for "
        "multiple comparisons). V is Cramér's V; '(low E)' flags a test where more than 20 % of expected counts are "
        "below 5. Sources: marts.fct_emotion_by_theme_stance (identity 'all') and marts.fct_emotion_stance_association."
    )
    tables = [
        _html_table(
            pd.DataFrame(statistic_rows), "Comments per stance and chi-square test of emotion × stance"
        ),
        _html_table(
            pd.DataFrame(share_rows), "Cell counts, shares within stance (Wilson 95% CI) and residuals"
        ),
    ]
    return FigureSection(stem, figure, caption, tables)


def _identity_asymmetry_section(data: MartData, codebook: Codebook) -> FigureSection:
    stem = "identity_emotion_asymmetry"
    frame = data.identity_asymmetry
    if frame.empty:
        return FigureSection(stem, None, "marts.fct_identity_asymmetry has no rows.", [])
    themes = _ordered(frame["theme"], codebook.themes)
    emotions = _ordered(frame["emotion"], codebook.emotions)
    cells = frame.set_index(["theme", "emotion"])
    by_theme = frame.groupby("theme").agg(
        js_divergence=("js_divergence", "first"),
        chinese_total=("chinese_count", "sum"),
        foreign_total=("foreign_count", "sum"),
    )

    figure, axes = _panel_grid(len(themes), panel_width=3.3, panel_height=4.2)
    positions = np.arange(len(emotions))
    bar_height = 0.4
    for axes_index, (theme, panel) in enumerate(zip(themes, axes, strict=True)):
        chinese = [
            cells.at[(theme, e), "chinese_share"] if (theme, e) in cells.index else np.nan for e in emotions
        ]
        foreign = [
            cells.at[(theme, e), "foreign_share"] if (theme, e) in cells.index else np.nan for e in emotions
        ]
        chinese_bars = 100 * np.array(chinese, dtype=float)
        foreign_bars = 100 * np.array(foreign, dtype=float)
        panel.barh(
            positions - bar_height / 2, chinese_bars, bar_height, color=CHINESE_COLOUR, label="chinese"
        )
        panel.barh(
            positions + bar_height / 2, foreign_bars, bar_height, color=FOREIGN_COLOUR, label="foreign"
        )
        panel.set_yticks(positions, emotions)
        if axes_index == 0:
            panel.invert_yaxis()  # the panels share y: inverting one flips them all
        panel.set_xlabel("% of the identity's comments", fontsize=7)
        panel.grid(axis="x", alpha=0.3)
        statistics = by_theme.loc[theme]
        divergence = statistics["js_divergence"]
        divergence_text = "n/a" if pd.isna(divergence) else f"{divergence:.3f}"
        panel.set_title(
            f"{theme}\nJSD = {divergence_text} (n {_count(statistics['chinese_total'])} / "
            f"{_count(statistics['foreign_total'])})",
            fontsize=9,
        )
        if axes_index % PANEL_COLUMNS:
            panel.tick_params(axis="y", labelleft=False)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles=handles, labels=labels, loc="outside lower center", ncols=2)
    figure.suptitle(
        "Emotion distribution of Chinese vs foreign commenters per theme (JSD: Jensen–Shannon, base 2)"
    )

    summary = pd.DataFrame(
        {
            "theme": themes,
            "Jensen–Shannon divergence": [_number(by_theme.at[t, "js_divergence"], 4) for t in themes],
            "chinese comments": [_count(by_theme.at[t, "chinese_total"]) for t in themes],
            "foreign comments": [_count(by_theme.at[t, "foreign_total"]) for t in themes],
        }
    )
    detail_rows = []
    for theme in themes:
        for emotion in emotions:
            if (theme, emotion) not in cells.index:
                continue
            cell = cells.loc[(theme, emotion)]
            detail_rows.append(
                {
                    "theme": theme,
                    "emotion": emotion,
                    "chinese n": _count(cell["chinese_count"]),
                    "chinese %": _percent(cell["chinese_share"]),
                    "foreign n": _count(cell["foreign_count"]),
                    "foreign %": _percent(cell["foreign_share"]),
                    "share_difference (pp)": _number(100 * cell["share_difference"], 1),
                }
            )
    caption = (
        "Bars: share of each identity's comments in the theme that carry the emotion (bars of one colour sum to "
        "100 %). The panel title gives the Jensen–Shannon divergence between the two distributions (0 = identical, "
        "1 = disjoint) and the number of Chinese / foreign comments. Commenters of unknown identity are left out. "
        "Source: marts.fct_identity_asymmetry."
    )
    tables = [
        _html_table(summary, "Jensen–Shannon divergence and comments per identity"),
        _html_table(pd.DataFrame(detail_rows), "Emotion counts and shares by identity"),
    ]
    return FigureSection(stem, figure, caption, tables)


def _polarization_section(data: MartData, codebook: Codebook) -> FigureSection:
    stem = "polarization_ranking"
    frame = data.theme_polarization
    if frame.empty:
        return FigureSection(stem, None, "marts.fct_theme_polarization has no rows.", [])
    # most polarised first; ties keep codebook order
    codebook_position = {theme: index for index, theme in enumerate(codebook.themes)}
    frame = frame.assign(
        _codebook_position=frame["theme"].map(codebook_position).fillna(len(codebook_position))
    )
    frame = frame.sort_values(
        ["stance_polarization", "_codebook_position", "theme"],
        ascending=[False, True, True],
        na_position="last",
    ).reset_index(drop=True)

    figure = Figure(figsize=(10, 0.45 * len(frame) + 1.6), layout="constrained")
    stance_axes, affect_axes = figure.subplots(1, 2, sharey=True)
    positions = np.arange(len(frame))
    for panel, column, colour, title in (
        (stance_axes, "stance_polarization", "#6a51a3", "stance polarisation"),
        (affect_axes, "affective_polarization", "#d94801", "affective polarisation"),
    ):
        values = frame[column].to_numpy(dtype=float)
        panel.barh(positions, np.nan_to_num(values), color=colour)
        for position, value in zip(positions, values, strict=True):
            panel.text(
                0 if np.isnan(value) else value, position, f" {_number(value)}", va="center", fontsize=8
            )
        panel.set_title(title)
        panel.set_xlim(0, max(float(np.nanmax(values, initial=0.0)) * 1.25, 0.01))
        panel.grid(axis="x", alpha=0.3)
    stance_axes.set_yticks(
        positions, [f"{theme} (n={_count(n)})" for theme, n in frame[["theme", "comment_count"]].values]
    )
    stance_axes.invert_yaxis()
    figure.suptitle(
        "Themes ranked by stance polarisation (top = most polarised), affective polarisation alongside"
    )

    table = pd.DataFrame(
        {
            "polarization_rank": frame["polarization_rank"].map(_count),
            "theme": frame["theme"],
            "comments": frame["comment_count"].map(_count),
            "pro_china %": frame["pro_china_share"].map(_percent),
            "neutral %": frame["neutral_share"].map(_percent),
            "pro_foreign %": frame["pro_foreign_share"].map(_percent),
            "mean_stance_position": frame["mean_stance_position"].map(_number),
            "stance_polarization": frame["stance_polarization"].map(_number),
            "mean_valence": frame["mean_valence"].map(_number),
            "affective_polarization": frame["affective_polarization"].map(_number),
            "emotion_balance": frame["emotion_balance"].map(_number),
        }
    )
    caption = (
        "Themes sorted by stance_polarization (left), with affective_polarization (right) for the same theme. "
        "Stance positions are pro_china +1, neutral 0, pro_foreign −1; valence is the emotion's valence score. "
        "Source: marts.fct_theme_polarization."
    )
    return FigureSection(stem, figure, caption, [_html_table(table, "Polarisation per theme")])


def _agreement_summary(data: MartData) -> pd.DataFrame:
    frame = data.classifier_agreement
    columns = [
        "accuracy",
        "macro_f1",
        "cohens_kappa",
        "evaluated_count",
        "classifier_backend",
        "classifier_model",
        "classifier_version",
    ]
    return frame.groupby("task")[columns].first()


def _classifier_agreement_section(data: MartData, codebook: Codebook) -> FigureSection:
    stem = "classifier_agreement"
    frame = data.classifier_agreement
    if frame.empty:
        return FigureSection(
            stem,
            None,
            "marts.fct_classifier_agreement has no rows: no gold-labelled comments were evaluated, so the "
            "classifier's agreement is unknown.",
            [],
        )
    tasks = _ordered(frame["task"], ("emotion", "stance"))
    summary = _agreement_summary(data)
    label_orders = {"emotion": codebook.emotions, "stance": codebook.stances}
    labels_by_task = {
        task: _ordered(frame.loc[frame["task"] == task, "label"], label_orders.get(task, ()))
        for task in tasks
    }
    cells = frame.set_index(["task", "label"])

    label_count = sum(len(labels) for labels in labels_by_task.values())
    figure = Figure(figsize=(8, 0.32 * label_count + 1.4 * len(tasks) + 0.6), layout="constrained")
    axes = figure.subplots(
        len(tasks), 1, squeeze=False, height_ratios=[len(labels_by_task[task]) + 1.5 for task in tasks]
    )[:, 0]
    for task, panel in zip(tasks, axes, strict=True):
        labels = labels_by_task[task]
        f1_scores = np.array([cells.at[(task, label), "f1"] for label in labels], dtype=float)
        positions = np.arange(len(labels))
        panel.barh(positions, np.nan_to_num(f1_scores), color="#41ab5d")
        for position, label, score in zip(positions, labels, f1_scores, strict=True):
            panel.text(
                0 if np.isnan(score) else score,
                position,
                f" {_number(score, 2)} (support {_count(cells.at[(task, label), 'support'])})",
                va="center",
                fontsize=7,
            )
        panel.set_yticks(positions, labels)
        panel.invert_yaxis()
        panel.set_xlim(0, 1.3)
        panel.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        panel.grid(axis="x", alpha=0.3)
        panel.set_xlabel("F1 against gold labels")
        task_summary = summary.loc[task]
        panel.set_title(
            f"{task}: macro-F1 {_number(task_summary['macro_f1'], 2)}, Cohen's κ {_number(task_summary['cohens_kappa'], 2)}"
            f" (n={_count(task_summary['evaluated_count'])})"
        )
    figure.suptitle("Per-label F1 of the classifier on held-out gold labels")

    per_label = []
    for task in tasks:
        for label in labels_by_task[task]:
            cell = cells.loc[(task, label)]
            per_label.append(
                {
                    "task": task,
                    "label": label,
                    "precision": _number(cell["precision"]),
                    "recall": _number(cell["recall"]),
                    "f1": _number(cell["f1"]),
                    "support": _count(cell["support"]),
                    "predicted": _count(cell["predicted_count"]),
                }
            )
    summary_table = pd.DataFrame(
        {
            "task": tasks,
            "accuracy": [_number(summary.at[task, "accuracy"]) for task in tasks],
            "macro_f1": [_number(summary.at[task, "macro_f1"]) for task in tasks],
            "cohens_kappa": [_number(summary.at[task, "cohens_kappa"]) for task in tasks],
            "evaluated": [_count(summary.at[task, "evaluated_count"]) for task in tasks],
            "backend": [str(summary.at[task, "classifier_backend"]) for task in tasks],
            "model": [str(summary.at[task, "classifier_model"]) for task in tasks],
            "version": [str(summary.at[task, "classifier_version"]) for task in tasks],
        }
    )
    caption = (
        "F1 per label of the classifier that labelled the corpus, measured on held-out gold-labelled comments; "
        "support is the number of gold comments with the label. Source: marts.fct_classifier_agreement."
    )
    tables = [
        _html_table(summary_table, "Overall agreement per task"),
        _html_table(pd.DataFrame(per_label), "Precision, recall and F1 per label"),
    ]
    return FigureSection(stem, figure, caption, tables)


def _render_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # no Software key: keeps the PNG free of the matplotlib URL and byte-identical across runs
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------- page


def _intro_html(data: MartData, codebook: Codebook, database_name: str) -> str:
    if data.comments_by_theme_identity is not None:
        comments = data.comments_by_theme_identity
    else:
        frame = data.emotion_by_theme_stance
        comments = (
            frame[frame["identity"] != "all"]
            .groupby(["theme", "identity"], as_index=False)["comment_count"]
            .sum()
        )
    identities = _ordered(comments["identity"], ("chinese", "foreign", "unknown"))
    themes = _ordered(comments["theme"], codebook.themes)
    if data.posts_by_theme is not None:
        themes = _ordered(list(themes) + list(data.posts_by_theme["theme"]), codebook.themes)
    counts = comments.pivot_table(
        index="theme", columns="identity", values="comment_count", aggfunc="sum", fill_value=0
    ).reindex(index=themes, columns=identities, fill_value=0)
    comment_total = int(counts.to_numpy().sum())
    identity_totals = counts.sum(axis=0)

    table = pd.DataFrame({"theme": themes})
    if data.posts_by_theme is not None:
        posts = data.posts_by_theme.set_index("theme")
        table["posts"] = [_count(posts["post_count"].get(theme, 0)) for theme in themes]
    for identity in identities:
        table[f"{identity} comments"] = [_count(counts.at[theme, identity]) for theme in themes]
    table["all comments"] = [_count(counts.loc[theme].sum()) for theme in themes]
    total_row = {"theme": "total"}
    if data.posts_by_theme is not None:
        total_row["posts"] = _count(data.posts_by_theme["post_count"].sum())
    total_row.update({f"{identity} comments": _count(identity_totals[identity]) for identity in identities})
    total_row["all comments"] = _count(comment_total)
    table = pd.concat([table, pd.DataFrame([total_row])], ignore_index=True)

    identity_text = ", ".join(
        f"{_count(identity_totals[identity])} {html.escape(identity)} "
        f"({_percent(identity_totals[identity] / comment_total if comment_total else np.nan)} %)"
        for identity in identities
    )
    if data.posts_by_theme is not None:
        post_total = int(data.posts_by_theme["post_count"].sum())
        first = data.posts_by_theme["first_published"].dropna()
        last = data.posts_by_theme["last_published"].dropna()
        date_text = (
            f", published between {html.escape(str(first.min())[:10])} and {html.escape(str(last.max())[:10])}"
            if len(first) and len(last)
            else ""
        )
        corpus_text = f"{_count(comment_total)} comments under {_count(post_total)} posts{date_text}"
    else:
        corpus_text = f"{_count(comment_total)} comments"
    notes = "".join(f"<p class='note'>{html.escape(note)}</p>" for note in data.notes)
    return (
        "<section id='intro'><h2>The corpus</h2>"
        "<p>RedNote (Xiaohongshu) posts by American “TikTok refugees”, who arrived after the U.S. TikTok ban of "
        "January 2025, and the comments under them. Each post has a theme, each comment an emotion (12 labels) and "
        "a stance (pro_china / neutral / pro_foreign), each commenter an identity from the IP location RedNote "
        "shows (chinese / foreign / unknown). "
        f"This report covers {corpus_text}; by commenter identity: {identity_text}. "
        f"Source: {html.escape(database_name)}.</p>"
        f"{notes}{_html_table(table, 'Posts and comments per theme and commenter identity')}</section>"
    )


def _caveat_html(data: MartData) -> str:
    if data.classifier_agreement.empty:
        accuracy_text = (
            "labels come from a classifier whose held-out macro-F1 is unknown: marts.fct_classifier_agreement is "
            "empty, so no gold-labelled comments were evaluated"
        )
    else:
        summary = _agreement_summary(data)
        parts = [
            f"{html.escape(str(task))} {_number(row['macro_f1'], 2)} (Cohen's κ {_number(row['cohens_kappa'], 2)}, "
            f"{_count(row['evaluated_count'])} gold comments)"
            for task, row in summary.iterrows()
        ]
        first = summary.iloc[0]
        accuracy_text = (
            f"labels come from a classifier ({html.escape(str(first['classifier_backend']))}, "
            f"{html.escape(str(first['classifier_model']))}, version {html.escape(str(first['classifier_version']))}) "
            f"whose held-out macro-F1 is {'; '.join(parts)}"
        )
    return (
        "<section id='caveat'><h2>Read this first</h2><p class='caveat'>"
        f"The emotion and stance {accuracy_text}. Every count and share in this report inherits the classifier's "
        "errors, and those errors need not be the same across themes or commenter identities. The Wilson intervals "
        "cover sampling error only, not classification error. Small cells are noisy: a share computed from a few "
        "comments can move a lot with a handful of misclassifications, so read cells with small n, and tests "
        "flagged for low expected counts, with care.</p></section>"
    )


PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1400px;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #444; max-width: 70rem; }
.caveat { background: #fff8e1; border-left: 4px solid #f0ad00; padding: 0.6rem 1rem; }
.note { color: #8a4b00; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.8rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #ddd; padding: 0.15rem 0.45rem; }
th { background: #f4f4f4; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
"""

# Sets data-figures-total / data-figures-loaded on <body> once every image has had its chance to decode; an
# automated check (headless Chromium) reads them from the dumped DOM.
LOAD_CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.querySelectorAll("img.report-figure"));
  var loaded = images.filter(function (image) { return image.complete && image.naturalWidth > 0; });
  document.body.setAttribute("data-figures-total", String(images.length));
  document.body.setAttribute("data-figures-loaded", String(loaded.length));
});
"""


def _section_html(letter: str, section: FigureSection) -> str:
    heading = html.escape(FIGURE_FILES[section.stem])
    if section.figure is None:
        figure_html = f"<p class='note'>Figure not drawn: {html.escape(section.caption)}</p>"
    else:
        encoded = base64.b64encode(section.png).decode("ascii")
        figure_html = (
            f"<figure><img class='report-figure' id='figure-{section.stem}' alt='{heading}' "
            f"src='data:image/png;base64,{encoded}'>"
            f"<figcaption>{html.escape(section.caption)} File: {section.stem}.png.</figcaption></figure>"
        )
    tables = "".join(section.tables)
    return f"<section id='{section.stem}'><h2>{letter}. {heading}</h2>{figure_html}{tables}</section>"


def render_report(database_path: str, out_dir: str = "reports") -> Path:
    """Render the report from the marts in `database_path`; returns the path of `<out_dir>/index.html`.

    Writes index.html (self-contained) and `<stem>.png` for every figure that has data (see FIGURE_FILES).
    """
    data = read_marts(database_path)
    codebook = load_codebook()
    output_folder = Path(out_dir)
    output_folder.mkdir(parents=True, exist_ok=True)

    with matplotlib.rc_context(_font_settings()):
        sections = [
            _emotion_by_stance_section(data, codebook),
            _identity_asymmetry_section(data, codebook),
            _polarization_section(data, codebook),
            _classifier_agreement_section(data, codebook),
        ]
        for section in sections:
            if section.figure is not None:
                section.png = _render_png(section.figure)
                (output_folder / f"{section.stem}.png").write_bytes(section.png)

    body = "".join(_section_html(letter, section) for letter, section in zip("abcd", sections, strict=True))
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>RedNote TikTok-refugee comments: emotion, stance and identity</title>"
        f"<style>{PAGE_STYLE}</style></head><body>"
        "<h1>RedNote TikTok-refugee comments: emotion, stance and identity</h1>"
        f"{_intro_html(data, codebook, Path(database_path).name)}{_caveat_html(data)}{body}"
        f"<script>{LOAD_CHECK_SCRIPT}</script></body></html>\n"
    )
    index_path = output_folder / "index.html"
    index_path.write_text(page, encoding="utf-8")
    return index_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the static HTML report from the warehouse marts.")
    parser.add_argument("--database", default="warehouse/rednote.duckdb", help="DuckDB file with the marts")
    parser.add_argument("--out", default="reports", help="output folder for index.html and the PNG figures")
    arguments = parser.parse_args(argv)
    try:
        index_path = render_report(arguments.database, arguments.out)
    except (FileNotFoundError, ValueError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 1
    print(index_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
