"""The embedded sample corpus: its shape, its labels, and that it is rebuilt byte for byte from its sources."""

import csv
import filecmp
import subprocess
import sys

import pandas as pd
import pytest

from rednote_affect.classifiers.base import load_codebook


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
    subprocess.run([sys.executable, str(repo / "scripts" / "build_sample_corpus.py"), "--crawl-dir",
                    str(tmp_path / "crawl"), "--gold-dir", str(tmp_path / "gold")], check=True, capture_output=True)
    for folder, committed in (("crawl", repo / "seeds" / "sample_crawl"), ("gold", repo / "seeds" / "gold")):
        names = sorted(p.name for p in (tmp_path / folder).iterdir())
        assert names == sorted(p.name for p in committed.iterdir())
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / folder, committed, names, shallow=False)
        assert mismatch == [] and errors == []
