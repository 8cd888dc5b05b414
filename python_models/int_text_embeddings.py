"""Embeddings of every text the warehouse needs, computed once per (text, backend, model) and kept."""

from rednote_affect.embeddings import embedding_options
from rednote_affect.inference import cache_root, current_embeddings, database_path, embed_new_texts


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="embedding_key")
    texts = dbt.ref("int_texts_to_embed").to_arrow_table()
    # dbt reads config.get() arguments statically, so each key is spelled out.
    config = {
        "embedding_backend": dbt.config.get("embedding_backend"),
        "embedding_model": dbt.config.get("embedding_model"),
        "embedding_device": dbt.config.get("embedding_device"),
        "embedding_batch_size": dbt.config.get("embedding_batch_size"),
        "embedding_base_url": dbt.config.get("embedding_base_url"),
        "embedding_api_key_env": dbt.config.get("embedding_api_key_env"),
        "embedding_max_concurrency": dbt.config.get("embedding_max_concurrency"),
        "embedding_requests_per_minute": dbt.config.get("embedding_requests_per_minute"),
        "embedding_prefix_mode": dbt.config.get("embedding_prefix_mode"),
        "embedding_timeout_seconds": dbt.config.get("embedding_timeout_seconds"),
        "inference_batch_size": dbt.config.get("inference_batch_size"),
    }
    stored_keys = set()
    stored_dimension = None
    if dbt.is_incremental:
        stored_keys = {row[0] for row in session.execute(f"select embedding_key from {dbt.this}").fetchall()}
        mine = current_embeddings(
            session.table(str(dbt.this)), config["embedding_backend"], config["embedding_model"]
        )
        stored_dimension = mine.aggregate("max(len(embedding))").fetchall()[0][0]
    return embed_new_texts(
        texts,
        stored_keys,
        backend_name=config["embedding_backend"],
        model_name=config["embedding_model"] or None,
        cache_dir=cache_root(database_path(session)),
        batch_size=int(config["inference_batch_size"]),
        options=embedding_options(config),
        stored_dimension=stored_dimension,
    )
