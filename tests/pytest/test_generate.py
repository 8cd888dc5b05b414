"""The synthetic crawl generator at a small size: format, counts, determinism, threads, increment, realism."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rednote_affect import generate
from rednote_affect.mediacrawler import COMMENT_COLUMNS_2025, NOTE_COLUMNS_2025

POSTS = 40
COMMENTS = 3000
INCREMENT = 600
SEED = 7
LOOKUP = Path(__file__).resolve().parents[2] / "seeds" / "lookups" / "ip_location_identities.csv"
HEX24 = re.compile(r"[0-9a-f]{24}")
COUNT_FORMS = re.compile(r"\d+|\d+(\.\d)?万|\d+万\+|10\+|None|")
BEIJING = timezone(timedelta(hours=8))
JANUARY_2025_MS = int(datetime(2025, 1, 1, tzinfo=BEIJING).timestamp() * 1000)
MARCH_2025_MS = int(datetime(2025, 3, 1, tzinfo=BEIJING).timestamp() * 1000)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out_dir = tmp_path_factory.mktemp("crawl")
    result = generate.generate_crawl(POSTS, COMMENTS, SEED, out_dir, increment=INCREMENT)
    result["notes"] = read_rows(result["notes_path"])
    result["rows"] = read_rows(result["comments_path"])
    result["increment_rows"] = read_rows(result["increment_path"])
    return result


def first_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The first row of every comment_id, in file order (re-crawl duplicates dropped)."""
    seen: dict[str, dict[str, str]] = {}
    for row in rows:
        seen.setdefault(row["comment_id"], row)
    return list(seen.values())


def theme_of_post(note: dict[str, str]) -> str:
    """A post's theme, read back from its first tag (always one of its theme's own tags)."""
    first_tag = note["tag_list"].split(",")[0]
    return next(theme for theme, tags in generate.POST_TAGS.items() if first_tag in tags)


def test_files_have_the_2025_header_with_a_bom(crawl: dict) -> None:
    expected = {
        crawl["notes_path"]: NOTE_COLUMNS_2025,
        crawl["comments_path"]: COMMENT_COLUMNS_2025,
        crawl["increment_path"]: COMMENT_COLUMNS_2025,
    }
    assert [path.name for path in expected] == [
        "search_contents_2025-01-20.csv",
        "search_comments_2025-01-20.csv",
        "search_comments_2025-01-27.csv",
    ]
    for path, columns in expected.items():
        first_line = path.read_bytes().split(b"\r\n", 1)[0]
        assert first_line == b"\xef\xbb\xbf" + ",".join(columns).encode("utf-8")


def test_row_counts(crawl: dict) -> None:
    # Base comments file: COMMENTS distinct comments plus COMMENTS // 200 re-crawl duplicate rows.
    duplicates = COMMENTS // 200
    assert len(crawl["notes"]) == POSTS
    assert len(crawl["rows"]) == COMMENTS + duplicates == crawl["comment_rows"]
    assert len({row["comment_id"] for row in crawl["rows"]}) == COMMENTS
    assert crawl["duplicates"] == duplicates
    assert len(crawl["increment_rows"]) == INCREMENT


def test_same_seed_gives_identical_bytes_and_another_seed_differs(crawl: dict, tmp_path: Path) -> None:
    again = generate.generate_crawl(POSTS, COMMENTS, SEED, tmp_path / "again", increment=INCREMENT)
    for key in ("notes_path", "comments_path", "increment_path"):
        assert again[key].read_bytes() == crawl[key].read_bytes()
    other = generate.generate_crawl(POSTS, COMMENTS, SEED + 1, tmp_path / "other", increment=INCREMENT)
    for key in ("notes_path", "comments_path", "increment_path"):
        assert other[key].read_bytes() != crawl[key].read_bytes()


def test_base_files_do_not_depend_on_the_increment(crawl: dict, tmp_path: Path) -> None:
    without = generate.generate_crawl(POSTS, COMMENTS, SEED, tmp_path)
    assert without["increment_path"] is None
    assert not (tmp_path / generate.INCREMENT_COMMENTS_FILE).exists()
    assert without["notes_path"].read_bytes() == crawl["notes_path"].read_bytes()
    assert without["comments_path"].read_bytes() == crawl["comments_path"].read_bytes()


def test_texts_are_mostly_distinct(crawl: dict) -> None:
    texts = [row["content"] for row in first_rows(crawl["rows"])]
    share = len(set(texts)) / len(texts)
    assert share >= 0.85
    assert crawl["distinct_text_share"] == pytest.approx(share)


def assert_threads(rows: list[dict[str, str]], earlier: list[dict[str, str]]) -> dict[int, int]:
    """Every parent is "0" or a strictly earlier comment of the same note; returns the count per depth."""
    known = {row["comment_id"]: row for row in earlier}
    depth_of = {row["comment_id"]: 0 for row in earlier if row["parent_comment_id"] == "0"}
    for row in earlier:  # earlier rows come in thread order too
        if row["parent_comment_id"] != "0":
            depth_of[row["comment_id"]] = depth_of[row["parent_comment_id"]] + 1
    depths: dict[int, int] = {}
    for row in rows:
        parent_id = row["parent_comment_id"]
        if parent_id == "0":
            depth = 0
        else:
            assert parent_id in known, "parent must appear earlier"
            parent = known[parent_id]
            assert parent["note_id"] == row["note_id"]
            assert int(parent["create_time"]) < int(row["create_time"])
            depth = depth_of[parent_id] + 1
        depth_of[row["comment_id"]] = depth
        depths[depth] = depths.get(depth, 0) + 1
        known[row["comment_id"]] = row
    return depths


def test_parents_are_earlier_comments_of_the_same_note(crawl: dict) -> None:
    comments = first_rows(crawl["rows"])
    depths = assert_threads(comments, earlier=[])
    assert max(depths) == generate.MAX_REPLY_DEPTH  # chains reach 3 deep, never deeper
    reply_share = 1 - depths[0] / len(comments)
    assert 0.18 < reply_share < 0.32
    # sub_comment_count of a top-level comment counts every reply in its thread.
    parents = {row["comment_id"]: row["parent_comment_id"] for row in comments}
    thread_sizes: dict[str, int] = {}
    for comment_id, parent_id in parents.items():
        while parent_id != "0":
            root, parent_id = parent_id, parents[parent_id]
        if parents[comment_id] != "0":
            thread_sizes[root] = thread_sizes.get(root, 0) + 1
    for row in comments:
        expected = thread_sizes.get(row["comment_id"], 0) if row["parent_comment_id"] == "0" else 0
        assert int(row["sub_comment_count"]) == expected


def test_duplicates_are_later_recrawls_of_earlier_rows(crawl: dict) -> None:
    first_seen: dict[str, dict[str, str]] = {}
    duplicates = 0
    for row in crawl["rows"]:
        original = first_seen.setdefault(row["comment_id"], row)
        if original is row:
            continue
        duplicates += 1
        assert int(row["last_modify_ts"]) > int(original["last_modify_ts"])
        changeable = ("last_modify_ts", "like_count")
        unchanged = [column for column in COMMENT_COLUMNS_2025 if column not in changeable]
        assert [row[column] for column in unchanged] == [original[column] for column in unchanged]
    assert duplicates == COMMENTS // 200


def test_increment_ids_are_new_and_threads_continue(crawl: dict) -> None:
    base = first_rows(crawl["rows"])
    new = crawl["increment_rows"]
    base_ids = {row["comment_id"] for row in base}
    new_ids = [row["comment_id"] for row in new]
    assert len(set(new_ids)) == len(new_ids)
    assert base_ids.isdisjoint(new_ids)
    assert {row["note_id"] for row in new} <= {note["note_id"] for note in crawl["notes"]}
    assert min(int(row["create_time"]) for row in new) > max(int(row["create_time"]) for row in base)
    assert_threads(new, earlier=base)
    assert any(row["parent_comment_id"] in base_ids for row in new)  # some answer last week's comments


def test_ip_locations_come_from_the_lookup_seed(crawl: dict) -> None:
    with LOOKUP.open(encoding="utf-8") as handle:
        identities = {row["ip_location"]: row["identity"] for row in csv.DictReader(handle)}
    comments = first_rows(crawl["rows"]) + crawl["increment_rows"]
    for row in comments + crawl["notes"]:
        assert row["ip_location"] == "" or row["ip_location"] in identities
    identity_per_comment = [identities.get(row["ip_location"], "empty") for row in comments]
    labels = ("chinese", "foreign", "empty")
    shares = {identity: identity_per_comment.count(identity) / len(comments) for identity in labels}
    assert 0.6 < shares["chinese"] < 0.8
    assert 0.18 < shares["foreign"] < 0.38
    assert 0.005 < shares["empty"] < 0.05
    assert all(identities[note["ip_location"]] == "foreign" for note in crawl["notes"])


def test_every_theme_has_posts(crawl: dict, tmp_path: Path) -> None:
    first_tags = [tag for tags in generate.POST_TAGS.values() for tag in tags[:2]]
    assert len(first_tags) == len(set(first_tags))  # a first tag names one theme only
    assert {theme_of_post(note) for note in crawl["notes"]} == set(generate.THEMES)
    tiny = generate.generate_crawl(7, 50, SEED, tmp_path)
    assert {theme_of_post(note) for note in read_rows(tiny["notes_path"])} == set(generate.THEMES)


def test_raw_field_formats(crawl: dict) -> None:
    notes = {note["note_id"]: note for note in crawl["notes"]}
    for note in crawl["notes"]:
        assert HEX24.fullmatch(note["note_id"]) and HEX24.fullmatch(note["user_id"])
        assert note["note_url"] == f"https://www.xiaohongshu.com/explore/{note['note_id']}"
        assert JANUARY_2025_MS <= int(note["time"]) <= int(note["last_update_time"]) < MARCH_2025_MS
        assert note["type"] in ("normal", "video") and note["title"] and note["source_keyword"]
        assert (note["video_url"] != "") == (note["type"] == "video")
        assert note["xsec_token"].startswith("AB")
        for column in ("liked_count", "collected_count", "comment_count", "share_count"):
            assert COUNT_FORMS.fullmatch(note[column]), note[column]
    for row in crawl["rows"] + crawl["increment_rows"]:
        assert HEX24.fullmatch(row["comment_id"]) and HEX24.fullmatch(row["user_id"])
        created = int(row["create_time"])
        assert int(notes[row["note_id"]]["time"]) < created < int(row["last_modify_ts"]) < MARCH_2025_MS
        assert COUNT_FORMS.fullmatch(row["like_count"]), row["like_count"]
        assert row["content"] and row["nickname"] and row["avatar"].startswith("https://")
    like_counts = [row["like_count"] for row in crawl["rows"]]
    assert {"None", ""} <= set(like_counts) and any(count.isdigit() and count != "0" for count in like_counts)


def test_texts_carry_raw_quirks_and_both_languages(crawl: dict) -> None:
    texts = [row["content"] for row in first_rows(crawl["rows"])]
    assert sum("\n" in text for text in texts) > COMMENTS * 0.01  # quoted newlines survive the CSV round trip
    assert any(entity in text for text in texts for entity in ("&amp;", "&quot;", "&#39;"))
    assert any(re.search(r"\[[^\]]+R\]", text) for text in texts)  # xhs stickers
    chinese = sum(bool(re.search(r"[\u4e00-\u9fff]", text)) for text in texts) / len(texts)
    english_only = sum(not re.search(r"[\u4e00-\u9fff]", text) for text in texts) / len(texts)
    assert 0.6 < chinese < 0.85
    assert 0.15 < english_only < 0.4


def cue_share(texts: list[str], cues: tuple[str, ...]) -> float:
    return sum(any(cue in text for cue in cues) for text in texts) / max(len(texts), 1)


def test_comments_fit_the_theme_and_its_emotions(crawl: dict) -> None:
    themes = {note["note_id"]: theme_of_post(note) for note in crawl["notes"]}
    texts_by_theme: dict[str, list[str]] = {}
    for row in first_rows(crawl["rows"]):
        texts_by_theme.setdefault(themes[row["note_id"]], []).append(row["content"])
    hostile = (
        "呵呵",
        "就这",
        "可笑",
        "滚",
        "凭什么",
        "闭嘴",
        "双标",
        "clown",
        "cope",
        "shut up",
        "get out",
        "disgrace",
    )
    proud = ("中华文化", "骄傲", "我们中国", "自豪", "几千年", "正宗", "proud")
    # Politics carries more contempt/anger, culture more pride.
    assert cue_share(texts_by_theme["politics"], hostile) > 2 * cue_share(texts_by_theme["culture"], hostile)
    assert cue_share(texts_by_theme["culture"], proud) > 1.5 * cue_share(texts_by_theme["politics"], proud)
    # Theme vocabulary: a theme's topic words are far more common under its own posts.
    for theme in ("culture", "politics", "language_learning"):
        words = tuple(generate.THEME_TOPICS[theme]["zh"] + generate.THEME_TOPICS[theme]["en"])
        others = [text for other, texts in texts_by_theme.items() if other != theme for text in texts]
        assert cue_share(texts_by_theme[theme], words) > 3 * cue_share(others, words)


def test_cli_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--posts", "10", "--comments", "400", "--seed", "3", "--out", str(tmp_path)]
    arguments += ["--increment", "50"]
    assert generate.main(arguments) == 0
    summary = capsys.readouterr().out.strip()
    assert summary.startswith("generated 10 posts and 402 comment rows")
    assert "(400 comments + 2 re-crawl duplicates)" in summary
    assert "increment 50" in summary and "distinct texts" in summary
    assert len(read_rows(tmp_path / generate.INCREMENT_COMMENTS_FILE)) == 50


def test_rejects_impossible_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate.generate_crawl(0, 10, 1, tmp_path)
    with pytest.raises(ValueError):
        generate.generate_crawl(5, -1, 1, tmp_path)
