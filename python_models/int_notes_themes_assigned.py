"""A codebook theme for every kept post: the post and its first 30 comments against prototypes built from the
gold train posts (rednote_affect/themes.py). Recomputed on every build: it reads stored vectors only."""

from rednote_affect.embeddings import embedding_options
from rednote_affect.inference import current_embeddings, embedding_matrix
from rednote_affect.topic_pipeline import assign_post_themes


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt reads config.get() arguments statically, so each key is spelled out. The theme descriptions are embedded
    # here, so every embedding setting is needed.
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
    }
    backend, model_name = config["embedding_backend"], config["embedding_model"] or None
    embeddings = dbt.ref("int_text_embeddings")
    evidence = (
        dbt.ref("int_notes_theme_evidence")
        .join(
            current_embeddings(embeddings, backend, model_name).select(
                "text_hash as embedded_hash, embedding"
            ),
            "text_hash = embedded_hash",
        )
        .select("evidence_source, evidence_kind, note_id, record_id, gold_theme, embedding")
        .to_arrow_table()
    )
    # dbt finds refs by reading this file, and not inside subscripts: one ref per statement.
    notes = dbt.ref("int_notes_kept").select("note_id").to_arrow_table()
    return assign_post_themes(
        notes["note_id"].to_pylist(),
        evidence.drop_columns(["embedding"]).to_pandas(),
        embedding_matrix(evidence),
        dbt.ref("codebook_themes").df(),
        embedding_backend=backend,
        embedding_model=model_name,
        theme_similarity_threshold=float(dbt.config.get("theme_similarity_threshold")),
        embedding_options=embedding_options(config),
    )
