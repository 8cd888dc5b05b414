"""rednote_affect.report: rendered from the warehouse dbt builds from the fixture crawl (conftest's `built`), checked
against the marts it read, and loaded in headless Chromium."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import WAREHOUSE, copy_warehouse, query

from rednote_affect.report import FIGURE_FILES, cjk_font_family, render_report
from rednote_affect.report.__main__ import main

pytestmark = pytest.mark.slow

# ---------------------------------------------------------------------------------------------------- helpers


class BodyAndImages(HTMLParser):
    """Collects the <body> attributes and the <img> tags of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.body_attributes: dict[str, str | None] = {}
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.body_attributes = dict(attrs)
        elif tag == "img":
            self.images.append(dict(attrs))


def parse(page: str) -> BodyAndImages:
    parser = BodyAndImages()
    parser.feed(page)
    return parser


def chromium_binary() -> str:
    """The Chromium binary; fails the test when there is none, skips it instead if REDNOTE_ALLOW_NO_BROWSER=1."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        message = (
            "no chromium binary on PATH (Debian: apt-get install -y chromium); "
            "set REDNOTE_ALLOW_NO_BROWSER=1 to skip the browser check"
        )
        if os.environ.get("REDNOTE_ALLOW_NO_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message)
    return binary


def dump_dom(binary: str, page: Path, profile_folder: Path) -> tuple[str, float]:
    started = time.monotonic()
    completed = subprocess.run(
        [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            f"--user-data-dir={profile_folder}",  # a throwaway profile: no lock clashes, nothing left in $HOME
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout, elapsed


# ---------------------------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def rendered(built, tmp_path_factory) -> Path:
    return render_report(built / WAREHOUSE, tmp_path_factory.mktemp("report") / "reports")


def page_text(index_path: Path) -> str:
    """The page with every run of whitespace as one space, as a browser shows it."""
    return " ".join(index_path.read_text(encoding="utf-8").split())


def section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}">')
    return page[start : page.index("</section>", start)]


def row_of(page_part: str, first_cell: str) -> str:
    """The table row whose first cell is `first_cell`."""
    match = re.search(rf'<tr><td class="\w+">{re.escape(first_cell)}</td>.*?</tr>', page_part)
    assert match, f"no row starting with {first_cell}"
    return match.group(0)


def cell(text: str) -> str:
    return f'">{text}</td>'


def test_writes_index_and_one_png_per_figure(rendered):
    assert rendered.name == "index.html" and rendered.is_file()
    png_files = sorted(path.name for path in rendered.parent.glob("*.png"))
    assert png_files == sorted(f"{stem}.png" for stem in FIGURE_FILES)
    images = parse(rendered.read_text(encoding="utf-8")).images
    assert len(images) == len(FIGURE_FILES)
    for image in images:
        # each embedded figure is byte-identical to its PNG file
        stem = image["id"].removeprefix("figure-")
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        png = (rendered.parent / f"{stem}.png").read_bytes()
        assert base64.b64decode(image["src"][len(prefix) :]) == png and png.startswith(b"\x89PNG")


def test_page_is_self_contained(rendered):
    page = rendered.read_text(encoding="utf-8")
    assert not re.search(r"https?://", page, flags=re.IGNORECASE)
    assert "<link" not in page.lower()
    assert not re.search(r"<script[^>]*\bsrc=", page, flags=re.IGNORECASE)
    assert all(image["src"].startswith("data:") for image in parse(page).images)


def test_every_section_is_present(rendered):
    page = page_text(rendered)
    for section_id in ("intro", "caveat", "headline_findings", *FIGURE_FILES):
        assert f'<section id="{section_id}">' in page
    for letter, (heading, *_) in zip("abcd", FIGURE_FILES.values(), strict=True):
        assert f"<h2>{letter}. {heading.replace(chr(39), '&#39;')}</h2>" in page


def test_corpus_counts_are_the_marts(built, rendered):
    page = page_text(rendered)
    [(comments, posts, first, last)] = query(
        built,
        """
        select (select count(*) from marts.fct_comments), count(*), min(published_at)::date, max(published_at)::date
        from marts.fct_posts""",
    )
    assert f"{comments:,} comments under {posts:,} posts, published between {first} and {last}" in page
    for identity, identity_count in query(
        built, "select identity, count(*) from marts.fct_comments group by 1"
    ):
        assert f"{identity_count:,} {identity} (" in page
    for entity, raw, kept in query(
        built,
        """select entity, sum(raw_count), sum(kept_count)
                                             from marts.fct_crawl_reconciliation group by 1""",
    ):
        assert cell(f"{raw:,}") + f'<td class="num">{kept:,}</td>' in row_of(section(page, "intro"), entity)


def test_identity_sources_are_the_marts(built, rendered):
    intro = section(page_text(rendered), "intro")
    rows = query(
        built, "select identity_source, comment_count, comment_share from marts.fct_identity_sources"
    )
    assert {row[0] for row in rows} == {"ip_location", "author_history", "inferred", "unknown"}
    for source, comments, share in rows:
        assert cell(f"{comments:,}") + f'<td class="num">{100 * share:.1f}</td>' in row_of(intro, source)


def test_headline_findings_are_the_marts(built, rendered):
    findings = section(page_text(rendered), "headline_findings")
    rows = query(
        built,
        """select finding, label_scope, metric, subject_value, runner_up_subject, runner_up_value,
        finding_holds, subject_comment_count, comment_count from marts.fct_headline_findings""",
    )
    assert len(rows) == 10 and {row[1] for row in rows} == {"all", "confident"}

    def shown(metric, value):
        if value is None:
            return "–"
        return f"{100 * value:.1f} %" if metric.endswith("_share") else f"{value:.3f}"

    for finding, _, metric, value, runner_up, runner_up_value, holds, subject_count, compared_count in rows:
        row = row_of(findings, finding)
        assert cell(shown(metric, value)) in row
        if runner_up is not None:
            assert cell(f"{runner_up} {shown(metric, runner_up_value)}") in row
        assert cell(f"{subject_count:,} of {compared_count:,}") in row
        assert cell("yes" if holds else "no") in row
    by_finding = {}
    for finding, scope, *_, holds, _, _ in rows:
        by_finding.setdefault(finding, {})[scope] = holds
    for finding, holds in by_finding.items():
        verdict = "n/a: does not hold" if not holds["all"] else ("yes" if holds["confident"] else "no")
        assert row_of(findings, finding).endswith(cell(verdict) + "</tr>")


def test_classifier_agreement_shows_every_evaluation_set(built, rendered):
    page = page_text(rendered)
    agreement = section(page, "classifier_agreement")
    per_task = query(
        built,
        """select evaluation_set, task, any_value(accuracy), any_value(macro_f1),
        any_value(expected_calibration_error) from marts.fct_classifier_agreement group by all""",
    )
    sets = {row[0] for row in per_task}
    assert {"gold_test", "written_test"} <= sets
    for evaluation_set in sets:
        summary = row_of(agreement, evaluation_set)
        values = {
            task: (accuracy, macro_f1, ece)
            for set_name, task, accuracy, macro_f1, ece in per_task
            if set_name == evaluation_set
        }
        expected = [values["valence"][0], values["emotion"][0], values["emotion"][1]]
        if "stance" in values:
            expected += [values["stance"][1], values["emotion"][2], values["stance"][2]]
        for value in expected:
            assert cell(f"{value:.3f}") in summary
        assert f"<caption>{evaluation_set}: precision, recall and F1 per label</caption>" in agreement
    for evaluation_set, task, label, f1, gold_count in query(
        built,
        """select evaluation_set, task, label, f1, gold_count
            from marts.fct_classifier_agreement where f1 is not null""",
    ):
        label_table = agreement[agreement.index(f"<caption>{evaluation_set}: precision") :]
        label_table = label_table[: label_table.index("</table>")]
        row = re.search(
            rf'<tr><td class="text">{task}</td><td class="text">{label}</td>.*?</tr>', label_table
        )
        assert row and cell(f"{f1:.3f}") + f'<td class="num">{gold_count:,}</td>' in row.group(0)
    caveat = section(page, "caveat")
    [(gold_emotion_f1,)] = query(
        built,
        """select any_value(macro_f1) from marts.fct_classifier_agreement
        where evaluation_set = 'gold_test' and task = 'emotion'""",
    )
    assert f"{gold_emotion_f1:.3f} on gold_test" in caveat
    assert "Wilson intervals cover sampling error only, not classification error" in caveat


def test_polarization_table_lists_themes_from_most_to_least_polarized(built, rendered):
    polarization = section(page_text(rendered), "polarization_ranking")
    themes = query(
        built,
        """select theme, stance_polarization, emotion_entropy_normalized from marts.fct_theme_polarization
        where stance_polarization is not null order by stance_polarization desc, theme""",
    )
    assert themes
    positions = [polarization.index(f'<td class="text">{theme}</td>') for theme, _, _ in themes]
    assert positions == sorted(positions)
    for theme, stance_polarization, entropy in themes:
        row = re.search(rf'<tr><td class="num">[^<]*</td><td class="text">{theme}</td>.*?</tr>', polarization)
        assert cell(f"{stance_polarization:.3f}") in row.group(0) and row.group(0).endswith(
            cell(f"{entropy:.3f}") + "</tr>"
        )


def test_a_figure_whose_mart_is_empty_is_not_drawn(built, tmp_path):
    copy_warehouse(built, tmp_path)
    with duckdb.connect(str(tmp_path / WAREHOUSE)) as connection:
        connection.execute("delete from marts.fct_identity_asymmetry")
    page = render_report(tmp_path / WAREHOUSE, tmp_path / "out").read_text(encoding="utf-8")
    assert sorted(path.name for path in (tmp_path / "out").glob("*.png")) == sorted(
        f"{stem}.png" for stem in FIGURE_FILES if stem != "identity_emotion_asymmetry"
    )
    section = re.search(r'<section id="identity_emotion_asymmetry">.*?</section>', page, re.S).group(0)
    assert "Figure not drawn: its mart has no rows." in section and "<img" not in section
    assert len(parse(page).images) == len(FIGURE_FILES) - 1


def test_a_warehouse_without_the_marts_fails_clearly(tmp_path, capsys):
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    with pytest.raises(ValueError, match="cannot read marts.fct_posts"):
        render_report(tmp_path / "empty.duckdb", tmp_path / "out")
    assert main(["--database", str(tmp_path / "absent.duckdb"), "--out", str(tmp_path / "out")]) == 1
    assert "warehouse database not found" in capsys.readouterr().err


def test_python_dash_m_writes_the_report(built, repo, tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "rednote_affect.report",
            "--database",
            str(built / WAREHOUSE),
            "--out",
            str(tmp_path / "cli"),
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == str(tmp_path / "cli" / "index.html")
    assert (tmp_path / "cli" / "polarization_ranking.png").is_file()


def test_cjk_font_family_needs_a_font_matplotlib_knows(monkeypatch):
    class Completed:
        def __init__(self, stdout: str) -> None:
            self.stdout = stdout

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(
        subprocess, "run", lambda *args, **kwargs: Completed("No Such Font CJK,No Such Font\n")
    )
    assert cjk_font_family() is None
    monkeypatch.setattr(
        subprocess, "run", lambda *args, **kwargs: Completed("No Such Font\nDejaVu Sans,DejaVu\n")
    )
    assert cjk_font_family() == "DejaVu Sans"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cjk_font_family() is None


def test_missing_browser_fails_unless_allowed(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("REDNOTE_ALLOW_NO_BROWSER", raising=False)
    with pytest.raises(pytest.fail.Exception, match="no chromium binary"):
        chromium_binary()
    monkeypatch.setenv("REDNOTE_ALLOW_NO_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception):
        chromium_binary()


def test_every_figure_loads_in_headless_chromium(rendered, tmp_path):
    binary = chromium_binary()
    dom, elapsed = dump_dom(binary, rendered, tmp_path / "profile")
    body = parse(dom).body_attributes
    print(f"chromium --dump-dom took {elapsed:.1f} s")
    assert "data-figures-total" in body, "the load script did not run before the DOM was dumped"
    assert int(body["data-figures-total"]) == len(FIGURE_FILES)
    assert body["data-figures-loaded"] == body["data-figures-total"]


def test_chromium_check_catches_a_broken_figure(rendered, tmp_path):
    # The same page with one image's data corrupted: the check must report it as not loaded.
    binary = chromium_binary()
    page = rendered.read_text(encoding="utf-8")
    broken = page.replace("data:image/png;base64,iVBOR", "data:image/png;base64,AAAAA", 1)
    assert broken != page
    broken_path = tmp_path / "broken.html"
    broken_path.write_text(broken, encoding="utf-8")
    body = parse(dump_dom(binary, broken_path, tmp_path / "profile")[0]).body_attributes
    assert int(body["data-figures-total"]) == len(FIGURE_FILES)
    assert int(body["data-figures-loaded"]) == len(FIGURE_FILES) - 1
