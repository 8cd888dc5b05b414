"""The report's figures (matplotlib, no pyplot state): one function per figure, each returning a Figure, or None
when its mart has nothing to draw."""

from __future__ import annotations

import io
import math
import shutil
import subprocess

import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rednote_affect.classifiers.base import Codebook
from rednote_affect.report.data import AGREEMENT_TASKS, VALENCES, ReportData, by_polarization, ordered
from rednote_affect.report.tables import count, evaluation_sets, identity_totals, number, p_value

# |adjusted residual| above this marks a cell that departs from independence at the 5 % level (uncorrected).
RESIDUAL_MARK = 1.96
CHINESE_COLOR = "#c0392b"
FOREIGN_COLOR = "#2c7fb8"
SET_COLORS = ("#41ab5d", "#6a51a3", "#d94801", "#2c7fb8", "#969696")
FIGURE_DPI = 110
PANEL_COLUMNS = 4


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


def font_settings() -> dict[str, object]:
    """rc settings: DejaVu Sans for Latin text; matplotlib falls back per glyph to a CJK family for Chinese."""
    families = ["DejaVu Sans"]
    cjk_family = cjk_font_family()
    if cjk_family:
        families.append(cjk_family)
    return {"font.family": "sans-serif", "font.sans-serif": families, "font.size": 9}


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # no Software key: keeps the PNG free of the matplotlib URL and byte-identical across runs
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _panel_grid(panel_count: int, panel_width: float, panel_height: float) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure with one axes per panel; spare grid cells are hidden."""
    column_count = min(PANEL_COLUMNS, max(panel_count, 1))
    row_count = math.ceil(max(panel_count, 1) / column_count)
    figure = Figure(figsize=(panel_width * column_count, panel_height * row_count), layout="constrained")
    axes = list(figure.subplots(row_count, column_count, squeeze=False, sharey=True).ravel())
    for spare in axes[panel_count:]:
        spare.set_axis_off()
    return figure, axes[:panel_count]


def emotion_by_stance(data: ReportData, codebook: Codebook) -> Figure:
    """A heatmap per theme: the share of each stance's comments with each emotion, residuals marked."""
    frame = data.emotion_by_theme_stance
    frame = frame[frame["identity"] == "all"]
    themes = ordered(frame["theme"], codebook.themes)
    emotions = ordered(frame["emotion"], codebook.emotions)
    stances = ordered(frame["stance"], codebook.stances)
    shares = frame.set_index(["theme", "emotion", "stance"])["share_within_stance"]
    stance_totals = frame.groupby(["theme", "stance"])["stance_identity_total"].max()
    association = data.emotion_stance_association
    residuals = association.set_index(["theme", "emotion", "stance"])["adjusted_residual"]
    theme_statistics = association.groupby("theme").first()
    color_max = max(float(np.nanmax(shares.to_numpy(dtype=float), initial=0.0)), 0.01)

    figure, axes = _panel_grid(len(themes), panel_width=3.3, panel_height=4.4)
    image = None
    for axes_index, (theme, panel) in enumerate(zip(themes, axes, strict=True)):
        grid = np.array(
            [[shares.get((theme, emotion, stance), np.nan) for stance in stances] for emotion in emotions],
            dtype=float,
        )
        image = panel.imshow(grid, cmap="Blues", vmin=0.0, vmax=color_max, aspect="auto")
        for row, emotion in enumerate(emotions):
            for column, stance in enumerate(stances):
                value = grid[row, column]
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
                    color="white" if value > 0.55 * color_max else "black",
                )
        panel.set_xticks(
            range(len(stances)),
            [f"{stance}\nn={count(stance_totals.get((theme, stance)))}" for stance in stances],
            fontsize=7,
        )
        panel.set_yticks(range(len(emotions)), emotions)
        title = theme
        if theme in theme_statistics.index and not pd.isna(theme_statistics.at[theme, "cramers_v"]):
            statistics = theme_statistics.loc[theme]
            p_text = p_value(statistics["p_value"])
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
    return figure


def identity_emotion_asymmetry(data: ReportData, codebook: Codebook) -> Figure:
    """Per theme, Chinese and foreign commenters' emotion distributions side by side, with their JS divergence."""
    frame = data.identity_asymmetry
    themes = ordered(frame["theme"], codebook.themes)
    emotions = ordered(frame["emotion"], codebook.emotions)
    cells = frame.set_index(["theme", "emotion"])
    totals = identity_totals(data)

    figure, axes = _panel_grid(len(themes), panel_width=3.3, panel_height=4.2)
    positions = np.arange(len(emotions))
    bar_height = 0.4
    for axes_index, (theme, panel) in enumerate(zip(themes, axes, strict=True)):
        for identity, color, offset in (("chinese", CHINESE_COLOR, -1), ("foreign", FOREIGN_COLOR, 1)):
            shares = [cells[f"{identity}_share"].get((theme, emotion), np.nan) for emotion in emotions]
            panel.barh(
                positions + offset * bar_height / 2,
                100 * np.array(shares, dtype=float),
                bar_height,
                color=color,
                label=identity,
            )
        panel.set_yticks(positions, emotions)
        if axes_index == 0:
            panel.invert_yaxis()  # the panels share y: inverting one flips them all
        panel.set_xlabel("% of the identity's comments", fontsize=7)
        panel.grid(axis="x", alpha=0.3)
        statistics = totals.loc[theme]
        divergence = statistics["js_divergence"]
        panel.set_title(
            f"{theme}\nJSD = {'n/a' if pd.isna(divergence) else f'{divergence:.3f}'} "
            f"(n {count(statistics['chinese_total'])} / {count(statistics['foreign_total'])})",
            fontsize=9,
        )
        if axes_index % PANEL_COLUMNS:
            panel.tick_params(axis="y", labelleft=False)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles=handles, labels=labels, loc="outside lower center", ncols=2)
    figure.suptitle(
        "Emotion distribution of Chinese vs foreign commenters per theme (JSD: Jensen–Shannon, base 2)"
    )
    return figure


def polarization_ranking(data: ReportData, codebook: Codebook) -> Figure:
    """Themes ranked by stance polarization, affective polarization alongside."""
    frame = by_polarization(data.theme_polarization, codebook.themes)
    figure = Figure(figsize=(10, 0.45 * len(frame) + 1.6), layout="constrained")
    stance_axes, affect_axes = figure.subplots(1, 2, sharey=True)
    positions = np.arange(len(frame))
    for panel, column, color, title in (
        (stance_axes, "stance_polarization", "#6a51a3", "stance polarization"),
        (affect_axes, "affective_polarization", "#d94801", "affective polarization"),
    ):
        values = frame[column].to_numpy(dtype=float)
        panel.barh(positions, np.nan_to_num(values), color=color)
        for position, value in zip(positions, values, strict=True):
            panel.text(
                0 if np.isnan(value) else value, position, f" {number(value)}", va="center", fontsize=8
            )
        panel.set_title(title)
        panel.set_xlim(0, max(float(np.nanmax(values, initial=0.0)) * 1.25, 0.01))
        panel.grid(axis="x", alpha=0.3)
    stance_axes.set_yticks(
        positions, [f"{theme} (n={count(n)})" for theme, n in frame[["theme", "comment_count"]].values]
    )
    stance_axes.invert_yaxis()
    figure.suptitle(
        "Themes ranked by stance polarization (top = most polarized), affective polarization alongside"
    )
    return figure


def classifier_agreement(data: ReportData, codebook: Codebook) -> Figure:
    """One panel per task: F1 per label, one bar per evaluation set (labels its gold data does not use left out)."""
    frame = data.classifier_agreement
    sets = evaluation_sets(data)
    tasks = ordered(frame["task"], AGREEMENT_TASKS)
    label_orders = {"emotion": codebook.emotions, "stance": codebook.stances, "valence": VALENCES}
    labels_by_task = {
        task: ordered(frame.loc[frame["task"] == task, "label"], label_orders.get(task, ())) for task in tasks
    }
    f1_scores = frame[frame["gold_count"] > 0].set_index(["evaluation_set", "task", "label"])["f1"]
    macro_f1 = frame.groupby(["evaluation_set", "task"])["macro_f1"].first()

    bar_height = 0.8 / len(sets)
    figure = Figure(
        figsize=(9.5, sum(0.18 * len(sets) * len(labels) + 0.9 for labels in labels_by_task.values()) + 0.8),
        layout="constrained",
    )
    axes = figure.subplots(
        len(tasks), 1, squeeze=False, height_ratios=[len(labels_by_task[task]) + 1 for task in tasks]
    )[:, 0]
    for task, panel in zip(tasks, axes, strict=True):
        labels = labels_by_task[task]
        positions = np.arange(len(labels))
        for set_index, evaluation_set in enumerate(sets):
            scores = np.array(
                [f1_scores.get((evaluation_set, task, label), np.nan) for label in labels], dtype=float
            )
            if np.isnan(scores).all():
                continue
            panel.barh(
                positions + (set_index - (len(sets) - 1) / 2) * bar_height,
                np.nan_to_num(scores),
                bar_height,
                color=SET_COLORS[set_index % len(SET_COLORS)],
                label=f"{evaluation_set} (macro-F1 {number(macro_f1.get((evaluation_set, task)), 2)})",
            )
        panel.set_yticks(positions, labels)
        panel.invert_yaxis()
        panel.set_xlim(0, 1)
        panel.grid(axis="x", alpha=0.3)
        panel.set_title(f"{task}: F1 per label", fontsize=9)
        panel.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1].set_xlabel("F1 against the evaluation set's labels")
    figure.suptitle("Per-label F1 of the classifier on each evaluation set")
    return figure
