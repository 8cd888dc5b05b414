"""Embeddings of every text the warehouse needs, computed once per (text, backend, model) and kept."""

from rednote_affect.inference import cache_root, database_path, embed_new_texts


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="embedding_key")
    texts = dbt.ref("int_texts_to_embed").to_arrow_table()
    # dbt sees a config.get() only where it can read it statically: not inside `or` in a call's arguments.
    embedding_model = dbt.config.get("embedding_model")
    stored_keys = set()
    if dbt.is_incremental:
        stored_keys = {row[0] for row in session.execute(f"select embedding_key from {dbt.this}").fetchall()}
    return embed_new_texts(
        texts,
        stored_keys,
        backend_name=dbt.config.get("embedding_backend"),
        model_name=embedding_model or None,
        cache_dir=cache_root(database_path(session)),
        batch_size=int(dbt.config.get("inference_batch_size")),
    )
