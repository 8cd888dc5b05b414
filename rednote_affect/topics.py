"""Topic modelling of posts with BERTopic: `fit_post_topics`, what the dbt model int_notes_topics_modelled runs
with the posts and their stored embeddings. The warehouse's themes come from rednote_affect.themes.

Pipeline:
1. Language centering. Multilingual e5 embeddings cluster by language before topic: a Chinese and an English post
   about hot pot are further apart than two Chinese posts about different things. Before clustering, each post's
   embedding has its language group's mean subtracted (groups from the `language` column; groups of fewer than
   3 posts use the global mean) and is re-normalized to unit length.
2. Topics: BERTopic on the centered embeddings (never loading an embedding model) with UMAP (fixed random_state)
   and HDBSCAN whose sizes scale with the corpus (`cluster_parameters`), and c-TF-IDF over a jieba tokenizer
   (`JiebaTokenizer`). Inputs of fewer than `MIN_POSTS_FOR_CLUSTERING` posts get one topic (0) instead.
   Topic ids are renumbered by size (descending), then smallest note_id; -1 stays the outlier topic.

Top words are returned as lists of str (`top_words_zh`: words with a CJK character; `top_words_en`: the others),
ordered by c-TF-IDF score, ties by word.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rednote_affect.embeddings import normalize_rows

OUTLIER_TOPIC_ID = -1
# Below this many posts UMAP/HDBSCAN have too few neighbours to mean anything: every post gets topic 0.
MIN_POSTS_FOR_CLUSTERING = 15
# Language groups smaller than this are centered with the global mean (their own mean would be the post itself).
MIN_LANGUAGE_GROUP_SIZE = 3
TOP_WORDS_PER_LANGUAGE = 10
REPRESENTATIVE_POSTS_PER_TOPIC = 3
REDUCED_DIMENSIONS = 5  # what UMAP or PCA reduces the embeddings to before HDBSCAN
REDUCTIONS = {"umap", "pca"}

TOPIC_COLUMNS = [
    "topic_id",
    "topic_label",
    "top_words_zh",
    "top_words_en",
    "post_count",
    "representative_note_ids",
]


# --------------------------------------------------------------------------------------------------------------
# Stopwords and tokenizer


# RedNote stickers such as [笑哭R] and hashtag markers such as [话题]: short bracketed runs without spaces.
_STICKER_PATTERN = re.compile(r"\[[^\[\]\s]{1,10}\]")
_CJK_PATTERN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# BERTopic replaces an empty document with this placeholder before vectorising; the topic model's tokenizer also
# returns it for a post without any word, so the vocabulary is never empty. It never appears among top words.
EMPTY_DOCUMENT_TOKEN = "emptydoc"


def _initialize_jieba() -> Any:
    """Import jieba with its INFO chatter silenced and its default dictionary loaded once, up front."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


class JiebaTokenizer:
    """Callable tokenizer for CountVectorizer: jieba words, lower-cased, without noise.

    Dropped: whitespace, punctuation and emoji (tokens without a letter or digit), RedNote stickers like [笑哭R],
    numbers (digits only, including Chinese numerals), one-letter non-Chinese tokens (a, ā, the m of "I'm"),
    stopwords and BERTopic's "emptydoc" placeholder. With `empty_document_token`, a text without any word yields
    just that token (a CountVectorizer fails on an empty vocabulary). A class rather than a closure so that a
    fitted vectorizer stays picklable.
    """

    def __init__(self, stopwords: Iterable[str], empty_document_token: str | None = None):
        self.stopwords = frozenset(word.lower() for word in stopwords)
        self.empty_document_token = empty_document_token
        self._jieba = _initialize_jieba()

    def __call__(self, text: str) -> list[str]:
        text = _STICKER_PATTERN.sub(" ", text or "")
        tokens = []
        for raw_token in self._jieba.lcut(text):
            token = raw_token.strip().lower()
            if not token or not token.isalnum() or token.isnumeric():
                continue
            if len(token) == 1 and not is_chinese_word(token):
                continue
            if token in self.stopwords or token == EMPTY_DOCUMENT_TOKEN:
                continue
            tokens.append(token)
        if not tokens and self.empty_document_token:
            return [self.empty_document_token]
        return tokens

    def __getstate__(self) -> dict[str, Any]:
        return {"stopwords": self.stopwords, "empty_document_token": self.empty_document_token}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.stopwords = state["stopwords"]
        self.empty_document_token = state["empty_document_token"]
        self._jieba = _initialize_jieba()


def is_chinese_word(word: str) -> bool:
    return bool(_CJK_PATTERN.search(word))


# --------------------------------------------------------------------------------------------------------------
# Embedding helpers


def center_by_language(
    embeddings: np.ndarray, languages: Iterable[str], min_group_size: int = MIN_LANGUAGE_GROUP_SIZE
) -> np.ndarray:
    """Subtract each language group's mean embedding and re-normalize (rows keep their order).

    Groups with fewer than `min_group_size` posts subtract the global mean instead. A row that the subtraction
    reduces to (almost) zero keeps its original direction, so no row is ever all zeros.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    language_per_row = np.asarray([str(language) for language in languages], dtype=object)
    if len(language_per_row) != len(embeddings):
        raise ValueError(f"{len(language_per_row)} languages for {len(embeddings)} embeddings")
    if len(embeddings) == 0:
        return embeddings.astype(np.float32)
    global_mean = embeddings.mean(axis=0)
    means = np.empty_like(embeddings)
    for language in sorted(set(language_per_row)):
        in_group = language_per_row == language
        means[in_group] = (
            embeddings[in_group].mean(axis=0) if in_group.sum() >= min_group_size else global_mean
        )
    centered = embeddings - means
    degenerate = np.linalg.norm(centered, axis=1) <= 1e-9
    centered[degenerate] = embeddings[degenerate]
    return normalize_rows(centered).astype(np.float32)


# --------------------------------------------------------------------------------------------------------------
# Clustering parameters


def cluster_parameters(n_posts: int, seed: int = 42, reduction: str = "umap") -> dict[str, Any]:
    """UMAP and HDBSCAN parameters scaled to the corpus size.

    min_cluster_size = max(3, round(sqrt(n) / 2)): topics grow with the corpus but more slowly than it, so a
    corpus four times larger has topics about twice as large and about twice as many of them
    (60 posts -> 4, 500 -> 11, 1,862 -> 22). min_samples is half of it (at least 2); HDBSCAN's default
    (= min_cluster_size) merged the 64 sample posts into 4 topics for 6 themes (half: 9 topics, 3 outliers), and on
    1,862 synthetic posts gave 32 topics and 12% outliers (half: 41 topics, 16%).
    n_neighbors = clip(round(sqrt(n)), 5, 15): UMAP's default 15 for real corpora, smaller for tiny ones so that
    the neighbourhood does not span most of the corpus.
    """
    min_cluster_size = max(3, round(math.sqrt(n_posts) / 2))
    if reduction not in REDUCTIONS:
        raise ValueError(f"topic reduction {reduction!r} is not one of {sorted(REDUCTIONS)}")
    return {
        "reduction": reduction,
        "pca": {"n_components": REDUCED_DIMENSIONS, "random_state": seed} if reduction == "pca" else None,
        "umap": None
        if reduction == "pca"
        else {
            "n_neighbors": int(min(15, max(5, round(math.sqrt(n_posts))), max(2, n_posts - 1))),
            "n_components": REDUCED_DIMENSIONS,
            "min_dist": 0.0,
            "metric": "cosine",
            "random_state": seed,
        },
        "hdbscan": {
            "min_cluster_size": int(min_cluster_size),
            "min_samples": int(max(2, min_cluster_size // 2)),
            "metric": "euclidean",
            "cluster_selection_method": "eom",
        },
    }


def _single_topic_labels(n_posts: int) -> np.ndarray:
    return np.zeros(n_posts, dtype=int)


class _SingleCluster:
    """Clustering model for tiny inputs: every post in topic 0 (BERTopic still computes c-TF-IDF words)."""

    def fit(self, features: np.ndarray, y: Any = None) -> _SingleCluster:
        self.labels_ = _single_topic_labels(len(features))
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        return _single_topic_labels(len(features))


def _build_bertopic(
    n_posts: int, stopwords: set[str], seed: int, reduction: str = "umap"
) -> tuple[Any, dict[str, Any]]:
    from bertopic import BERTopic
    from bertopic.backend import BaseEmbedder
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    class NoEmbeddingModel(BaseEmbedder):
        """BERTopic-compatible embedder that refuses to embed: the embeddings are always passed in."""

        def embed(self, documents: Any, verbose: bool = False) -> np.ndarray:
            raise RuntimeError("topics: BERTopic tried to embed documents; embeddings must be precomputed")

    class OneWordSafeClassTfidf(ClassTfidfTransformer):
        """BERTopic's c-TF-IDF; with a one-word vocabulary its idf becomes a scalar and fit crashes, so that case
        is fitted with a padding column that is then cut off again."""

        def fit(self, word_counts: Any, multiplier: np.ndarray | None = None) -> OneWordSafeClassTfidf:
            if word_counts.shape[1] != 1:
                return super().fit(word_counts, multiplier=multiplier)
            padded = sparse.hstack([word_counts, np.ones((word_counts.shape[0], 1))]).tocsr()
            super().fit(padded, multiplier=None if multiplier is None else np.append(multiplier, 1.0))
            self._idf_diag = self._idf_diag[:1, :1]
            return self

    vectorizer = CountVectorizer(
        tokenizer=JiebaTokenizer(stopwords, empty_document_token=EMPTY_DOCUMENT_TOKEN),
        lowercase=False,
        token_pattern=None,
    )
    if n_posts < MIN_POSTS_FOR_CLUSTERING:
        method = "single_topic"
        parameters: dict[str, Any] = {"reduction": None, "pca": None, "umap": None, "hdbscan": None}
        dimensionality_model: Any = BaseDimensionalityReduction()
        cluster_model: Any = _SingleCluster()
    else:
        import hdbscan

        method = f"bertopic_{reduction}_hdbscan"
        parameters = cluster_parameters(n_posts, seed, reduction)
        if reduction == "pca":
            from sklearn.decomposition import PCA

            dimensionality_model = PCA(**parameters["pca"])
        else:
            from umap import UMAP

            dimensionality_model = UMAP(**parameters["umap"], low_memory=False, n_jobs=1)
        cluster_model = hdbscan.HDBSCAN(**parameters["hdbscan"], prediction_data=False, core_dist_n_jobs=1)
    model = BERTopic(
        embedding_model=NoEmbeddingModel(),
        umap_model=dimensionality_model,
        hdbscan_model=cluster_model,
        vectorizer_model=vectorizer,
        ctfidf_model=OneWordSafeClassTfidf(),
        calculate_probabilities=False,
        verbose=False,
    )
    return model, {"method": method, **parameters}


def _fit_clusters(
    documents: list[str],
    centered_embeddings: np.ndarray,
    stopwords: set[str],
    seed: int,
    reduction: str = "umap",
) -> tuple[np.ndarray, Any, dict[str, Any]]:
    """Fit BERTopic; returns BERTopic's topic per post, the fitted model and the parameters used."""
    from threadpoolctl import threadpool_limits

    model, parameters = _build_bertopic(len(documents), stopwords, seed, reduction)
    # One BLAS/OpenMP thread: identical floating point results whatever the machine's core count.
    with threadpool_limits(limits=1):
        topic_per_post, _ = model.fit_transform(documents, embeddings=centered_embeddings)
    return np.asarray(topic_per_post, dtype=int), model, parameters


# --------------------------------------------------------------------------------------------------------------
# Topics table


def _renumbered_topics(bertopic_topic_per_post: np.ndarray, note_ids: list[str]) -> dict[int, int]:
    """Map BERTopic ids to ours: size descending, then smallest note_id; the outlier topic stays -1."""
    clusters = sorted(set(bertopic_topic_per_post.tolist()) - {OUTLIER_TOPIC_ID})
    sort_keys = []
    for cluster in clusters:
        members = [note_ids[row] for row in np.flatnonzero(bertopic_topic_per_post == cluster)]
        sort_keys.append((-len(members), min(members), cluster))
    mapping = {cluster: new_id for new_id, (_, _, cluster) in enumerate(sorted(sort_keys))}
    mapping[OUTLIER_TOPIC_ID] = OUTLIER_TOPIC_ID
    return mapping


def _top_words(model: Any, bertopic_topic_ids: list[int]) -> dict[int, list[tuple[str, float]]]:
    """c-TF-IDF words per BERTopic topic with positive score, by score descending then word."""
    words = model.vectorizer_model.get_feature_names_out()
    matrix = model.c_tf_idf_.tocsr()
    # BERTopic's c-TF-IDF rows follow the sorted ids of the topics it fitted.
    result = {}
    for row, topic in enumerate(sorted(bertopic_topic_ids)):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        scored = [
            (str(words[column]), float(score))
            for column, score in zip(matrix.indices[start:end], matrix.data[start:end], strict=True)
            if score > 0 and words[column] != EMPTY_DOCUMENT_TOKEN
        ]
        result[topic] = sorted(scored, key=lambda pair: (-round(pair[1], 12), pair[0]))
    return result


def _topic_label(topic_id: int, scored_words: list[tuple[str, float]]) -> str:
    if topic_id == OUTLIER_TOPIC_ID:
        return "outliers"
    top = [word for word, _ in scored_words[:3]]
    return " / ".join(top) if top else f"topic {topic_id}"


def _representative_note_ids(rows: np.ndarray, embeddings: np.ndarray, note_ids: list[str]) -> list[str]:
    centroid = normalize_rows(embeddings[rows].mean(axis=0, keepdims=True))[0]
    similarities = embeddings[rows] @ centroid
    order = sorted(
        range(len(rows)), key=lambda index: (-round(float(similarities[index]), 9), note_ids[rows[index]])
    )
    return [note_ids[rows[index]] for index in order[:REPRESENTATIVE_POSTS_PER_TOPIC]]


# --------------------------------------------------------------------------------------------------------------
# Entry point


@dataclass(frozen=True)
class TopicFit:
    """What `fit_post_topics` returns: topics only, no themes."""

    topic_per_post: pd.DataFrame  # note_id, topic_id; one row per post, in input order
    topics: (
        pd.DataFrame
    )  # topic_id, topic_label, top_words_zh, top_words_en, post_count, representative_note_ids
    lineage: dict[str, Any] = field(default_factory=dict)


def fit_post_topics(
    posts: pd.DataFrame, embeddings: np.ndarray, stopwords: set[str], seed: int = 42, reduction: str = "umap"
) -> TopicFit:
    """BERTopic on language-centered embeddings: a topic per post and the topics table (see the module docstring).

    posts: note_id, text, language; row i <-> embeddings[i]. Same input and seed give identical tables, in one
    process or across processes.
    """
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if len(posts) != len(embeddings):
        raise ValueError(f"{len(posts)} posts but {len(embeddings)} embeddings")
    note_ids = [str(note_id) for note_id in posts["note_id"]]
    documents = ["" if pd.isna(text) else str(text) for text in posts["text"]]
    import bertopic

    lineage: dict[str, Any] = {
        "bertopic_version": bertopic.__version__,
        "embedding_dimension": int(embeddings.shape[1]) if embeddings.ndim == 2 else 0,
        "seed": int(seed),
        "n_posts": len(note_ids),
        "language_centering": {"min_group_size": MIN_LANGUAGE_GROUP_SIZE},
    }
    if not note_ids:
        return TopicFit(
            topic_per_post=pd.DataFrame(
                {"note_id": pd.Series([], dtype=str), "topic_id": pd.Series([], dtype="int64")}
            ),
            topics=pd.DataFrame(columns=TOPIC_COLUMNS),
            lineage={
                **lineage,
                "method": "empty",
                "reduction": None,
                "pca": None,
                "umap": None,
                "hdbscan": None,
                "n_topics": 0,
                "n_outlier_posts": 0,
            },
        )
    centered = center_by_language(embeddings, posts["language"])
    bertopic_topic_per_post, model, parameters = _fit_clusters(
        documents, centered, stopwords, seed, reduction
    )
    renumbering = _renumbered_topics(bertopic_topic_per_post, note_ids)
    topic_per_post = np.array([renumbering[topic] for topic in bertopic_topic_per_post], dtype=np.int64)

    # Topics table, in topic id order (-1 first when present).
    top_words = _top_words(model, sorted(set(bertopic_topic_per_post.tolist())))
    bertopic_id_by_topic = {ours: theirs for theirs, ours in renumbering.items()}
    topic_rows = []
    for topic_id in sorted(set(topic_per_post.tolist())):
        rows = np.flatnonzero(topic_per_post == topic_id)
        scored_words = top_words[bertopic_id_by_topic[topic_id]]
        topic_rows.append(
            {
                "topic_id": int(topic_id),
                "topic_label": _topic_label(topic_id, scored_words),
                "top_words_zh": [word for word, _ in scored_words if is_chinese_word(word)][
                    :TOP_WORDS_PER_LANGUAGE
                ],
                "top_words_en": [word for word, _ in scored_words if not is_chinese_word(word)][
                    :TOP_WORDS_PER_LANGUAGE
                ],
                "post_count": int(len(rows)),
                "representative_note_ids": _representative_note_ids(rows, centered, note_ids),
            }
        )
    lineage.update(
        {
            "method": parameters["method"],
            "reduction": parameters["reduction"],
            "pca": parameters["pca"],
            "umap": parameters["umap"],
            "hdbscan": parameters["hdbscan"],
            "n_topics": int(sum(row["topic_id"] != OUTLIER_TOPIC_ID for row in topic_rows)),
            "n_outlier_posts": int((topic_per_post == OUTLIER_TOPIC_ID).sum()),
        }
    )
    return TopicFit(
        topic_per_post=pd.DataFrame({"note_id": note_ids, "topic_id": topic_per_post}),
        topics=pd.DataFrame(topic_rows, columns=TOPIC_COLUMNS),
        lineage=lineage,
    )
