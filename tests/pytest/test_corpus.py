"""The embedded sample corpus: its shape, its labels, and that it is rebuilt byte for byte from its sources."""

import csv
import filecmp
import json
import subprocess
import sys

import pandas as pd
import pytest

from rednote_affect.classifiers.base import load_codebook
from rednote_affect.mediacrawler import columns_for, creator_hash


def read_crawl(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def corpus(repo):
    crawl = repo / "seeds" / "sample_crawl"
    return {
        "notes": read_crawl(crawl / "search_contents_2025-01-20.csv"),
        "comments": read_crawl(crawl / "search_comments_2025-01-20.csv"),
        "recrawl": read_crawl(crawl / "search_comments_2025-01-26.csv"),
        "gold_comments": pd.read_csv(repo / "seeds" / "gold" / "gold_comment_labels.csv", dtype=str),
        "gold_posts": pd.read_csv(repo / "seeds" / "gold" / "gold_post_labels.csv", dtype=str),
        "identities": pd.read_csv(repo / "seeds" / "lookups" / "ip_location_identities.csv", dtype=str),
    }


def test_counts_and_labels(corpus):
    codebook = load_codebook()
    assert len(corpus["notes"]) >= 60
    assert len(corpus["comments"]) >= 1500
    gold = corpus["gold_comments"]
    assert len(gold) == len(corpus["comments"])
    assert set(gold["emotion"]) == set(codebook.emotions)
    assert set(gold["stance"]) == set(codebook.stances)
    assert set(corpus["gold_posts"]["theme"]) == set(codebook.themes)
    assert gold["emotion"].value_counts().min() >= 80


def test_every_parent_exists_and_replies_nest(corpus):
    comments = {row["comment_id"]: row for row in corpus["comments"]}
    depths = []
    for row in comments.values():
        depth, parent = 0, row["parent_comment_id"]
        while parent != "0":
            assert parent in comments, f"missing parent {parent}"
            assert comments[parent]["note_id"] == row["note_id"]
            depth, parent = depth + 1, comments[parent]["parent_comment_id"]
        depths.append(depth)
    assert max(depths) >= 3
    assert 0.15 <= sum(d > 0 for d in depths) / len(depths) <= 0.4


def test_identity_mix_is_the_studys(corpus):
    mapping = dict(zip(corpus["identities"]["ip_location"], corpus["identities"]["identity"], strict=True))
    identities = pd.Series([mapping.get(row["ip_location"], "unknown") for row in corpus["comments"]])
    shares = identities.value_counts(normalize=True)
    assert 0.6 <= shares["chinese"] <= 0.8
    assert 0.2 <= shares["foreign"] <= 0.35
    assert all(mapping.get(row["ip_location"]) == "foreign" for row in corpus["notes"])


def test_recrawl_duplicates_are_newer_versions(corpus):
    base = {row["comment_id"]: row for row in corpus["comments"]}
    assert len(corpus["recrawl"]) >= 10
    for row in corpus["recrawl"]:
        assert int(row["last_modify_ts"]) > int(base[row["comment_id"]]["last_modify_ts"])


def test_split_is_by_post_and_fixed(corpus):
    gold, posts = corpus["gold_comments"], corpus["gold_posts"]
    post_split = dict(zip(posts["note_id"], posts["split"], strict=True))
    assert (gold["note_id"].map(post_split) == gold["split"]).all()
    assert 0.2 <= (gold["split"] == "test").mean() <= 0.4
    # Every theme has held-out posts.
    assert posts.groupby("theme")["split"].apply(lambda s: (s == "test").any()).all()


def test_skew_matches_the_study(corpus):
    gold, posts = corpus["gold_comments"], corpus["gold_posts"]
    theme = gold["note_id"].map(dict(zip(posts["note_id"], posts["theme"], strict=True)))
    hostile = gold["emotion"].isin(["contempt", "anger"]).groupby(theme).mean()
    pride = (gold["emotion"] == "pride").groupby(theme).mean()
    assert hostile.idxmax() == "politics"
    assert pride.idxmax() == "culture"


def test_rebuilt_byte_for_byte_from_sources(repo, tmp_path):
    subprocess.run(
        [
            sys.executable,
            str(repo / "scripts" / "build_sample_corpus.py"),
            "--crawl-dir",
            str(tmp_path / "crawl"),
            "--gold-dir",
            str(tmp_path / "gold"),
        ],
        check=True,
        capture_output=True,
    )
    for folder, committed in (("crawl", repo / "seeds" / "sample_crawl"), ("gold", repo / "seeds" / "gold")):
        names = sorted(p.name for p in (tmp_path / folder).iterdir())
        assert names == sorted(p.name for p in committed.iterdir())
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / folder, committed, names, shallow=False)
        assert mismatch == [] and errors == []


def read_jsonl(path):
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_csv_rows_end_in_crlf_and_note_urls_carry_the_token(repo, corpus):
    for path in sorted((repo / "seeds" / "sample_crawl").glob("*.csv")):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = sum(1 for _ in csv.reader(handle))
        assert data.count(b"\r\n") == records and data.endswith(b"\r\n")
        assert b"\n" not in data.replace(b"\r\n", b"")  # no bare LF row ends (no field holds a newline)
    for row in corpus["notes"]:
        assert row["note_url"] == (
            f"https://www.xiaohongshu.com/explore/{row['note_id']}?xsec_token="
            f"{row['xsec_token']}&xsec_source=pc_search"
        )


def test_2026_part_has_the_new_schema_and_returning_authors(repo, corpus):
    crawl = repo / "seeds" / "sample_crawl"
    notes = read_jsonl(crawl / "search_contents_2026-08-03.jsonl")
    comments = read_jsonl(crawl / "search_comments_2026-08-03.jsonl")
    assert len(comments) >= 150 and all("ip_location" not in row and "user_id" not in row for row in comments)
    assert all(set(row) == set(columns_for("comments", "2026")) for row in comments)
    assert all(row["nickname"].count("*") >= 1 for row in comments + notes)
    top_level = [row for row in comments if row["parent_comment_id"] == ""]
    assert 0 < len(top_level) < len(comments)
    ids = {row["comment_id"] for row in comments}
    assert all(row["parent_comment_id"] in ids for row in comments if row["parent_comment_id"])
    # Authors of 2025 come back under the same key: creator_hash = sha256(2025 user_id)[:16].
    hashes_2025 = {creator_hash(row["user_id"]) for row in corpus["comments"] + corpus["notes"]}
    returning = sum(row["creator_hash"] in hashes_2025 for row in comments) / len(comments)
    assert 0.6 <= returning < 1.0
    # Every comment sits under a post crawled in 2026; some posts are re-crawls, some new, some untitled.
    note_ids = {row["note_id"] for row in notes}
    assert {row["note_id"] for row in comments} <= note_ids
    assert note_ids & {row["note_id"] for row in corpus["notes"]}
    untitled = [row for row in notes if row["title"] == row["desc"][:255]]
    assert len(untitled) >= 2
    # The 2026 comments are not gold-labeled, and were written after the schema change.
    assert not ids & set(corpus["gold_comments"]["comment_id"])
    assert min(int(row["create_time"]) for row in comments) >= 1782918120000
