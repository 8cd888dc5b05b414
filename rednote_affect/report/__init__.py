"""The static HTML report: reads the marts (data.py), draws the figures (figures.py), formats the tables they are
drawn from (tables.py) and fills the Jinja2 templates (templates/), writing <out>/index.html and one PNG per figure.

The page is self-contained (figures embedded as base64 PNG, inline CSS, one tiny inline script, nothing fetched).

    python -m rednote_affect.report --database warehouse/rednote.duckdb --out reports
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import matplotlib
from matplotlib.figure import Figure

from rednote_affect.classifiers.base import Codebook, load_codebook
from rednote_affect.report import figures, tables
from rednote_affect.report.data import ReportData, read_marts
from rednote_affect.report.figures import cjk_font_family

__all__ = ["FIGURE_FILES", "cjk_font_family", "render_report"]

# file stem -> (heading, the ReportData mart it draws, figure, its tables); the PNG files are `<stem>.png` in the
# output folder. A figure is drawn when its mart has rows.
FIGURE_FILES: dict[str, tuple[str, str, Callable[[ReportData, Codebook], Figure], Callable]] = {
    "emotion_by_stance": (
        "Emotions within each stance, per theme",
        "emotion_by_theme_stance",
        figures.emotion_by_stance,
        tables.emotion_by_stance_tables,
    ),
    "identity_emotion_asymmetry": (
        "Chinese and foreign commenters' emotions, per theme",
        "identity_asymmetry",
        figures.identity_emotion_asymmetry,
        tables.identity_asymmetry_tables,
    ),
    "polarization_ranking": (
        "Themes ranked by stance polarization",
        "theme_polarization",
        figures.polarization_ranking,
        lambda data, codebook: [tables.polarization_table(data, codebook)],
    ),
    "classifier_agreement": (
        "Classifier agreement on each evaluation set",
        "classifier_agreement",
        figures.classifier_agreement,
        tables.agreement_tables,
    ),
}

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("rednote_affect.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class FigureSection:
    stem: str
    heading: str
    png_base64: str | None  # None when the mart had nothing to draw
    tables: list[tables.Table]


def _figure_sections(data: ReportData, codebook: Codebook, output_folder: Path) -> list[FigureSection]:
    sections = []
    with matplotlib.rc_context(figures.font_settings()):
        for stem, (heading, mart, draw, shape_tables) in FIGURE_FILES.items():
            encoded = None
            if not getattr(data, mart).empty:
                png = figures.png_bytes(draw(data, codebook))
                (output_folder / f"{stem}.png").write_bytes(png)
                encoded = base64.b64encode(png).decode("ascii")
            sections.append(FigureSection(stem, heading, encoded, shape_tables(data, codebook)))
    return sections


def render_report(database_path: str | Path, out_dir: str | Path = "reports") -> Path:
    """Render the report from the marts in `database_path`; returns the path of `<out_dir>/index.html`."""
    data = read_marts(database_path)
    codebook = load_codebook()
    output_folder = Path(out_dir)
    output_folder.mkdir(parents=True, exist_ok=True)
    page = TEMPLATES.get_template("report.html.j2").render(
        database_name=data.database_name,
        corpus=tables.corpus_summary(data),
        corpus_table=tables.corpus_table(data, codebook),
        reconciliation_table=tables.reconciliation_table(data),
        identity_sources_table=tables.identity_sources_table(data),
        classifier=tables.classifier_lineage(data),
        agreement=tables.agreement_overview(data),
        findings_table=tables.headline_findings_table(data),
        confident_label_threshold=tables.confident_label_threshold(data),
        sections=_figure_sections(data, codebook, output_folder),
        residual_mark=figures.RESIDUAL_MARK,
    )
    index_path = output_folder / "index.html"
    index_path.write_text(page, encoding="utf-8")
    return index_path
