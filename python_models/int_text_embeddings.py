"""Embeddings of every text the warehouse needs, computed once per (text, backend, model) and kept."""

from rednote_affect.embeddings import embedding_options
from rednote_affect.inference import (
    cache_root,
    current_embeddings,
    database_path,
    embed_new_texts,
    is_enabled,
)


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="embedding_key")
    texts = dbt.ref("int_texts_to_embed").to_arrow_table()
    # The project vars a Python model reads, as one dict (inference_settings in _python_models.yml).
    config = dbt.config.get("inference_settings")
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
        use_shipped_vectors=is_enabled(config["use_shipped_vectors"]),
    )
