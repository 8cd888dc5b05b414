"""Emotion and stance labels, one row per (comment text, post text, classifier backend, model, version).

Incremental: each input is classified once per classifier version; a rebuild with nothing new runs no inference.
"""

import pyarrow as pa

from rednote_affect.inference import current_embeddings, database_path, label_comments, pending_inputs


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="classification_key")
    # dbt reads config.get() arguments statically, so each key is spelled out.
    config = {
        "classifier_backend": dbt.config.get("classifier_backend"),
        "classifier_model": dbt.config.get("classifier_model"),
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
        "llm_base_url": dbt.config.get("llm_base_url"),
        "llm_api_key_env": dbt.config.get("llm_api_key_env"),
        "llm_max_concurrency": dbt.config.get("llm_max_concurrency"),
        "llm_requests_per_minute": dbt.config.get("llm_requests_per_minute"),
        "llm_response_format": dbt.config.get("llm_response_format"),
        "transformers_emotion_checkpoint": dbt.config.get("transformers_emotion_checkpoint"),
        "transformers_stance_checkpoint": dbt.config.get("transformers_stance_checkpoint"),
        "transformers_mode": dbt.config.get("transformers_mode"),
        "inference_batch_size": dbt.config.get("inference_batch_size"),
    }
    items = dbt.ref("int_comments_to_classify")
    training_rows = dbt.ref("int_classifier_training_rows").to_arrow_table()
    embeddings = current_embeddings(
        dbt.ref("int_text_embeddings"), config["embedding_backend"], config["embedding_model"]
    )
    return label_comments(
        # Only the inputs this classifier version has not settled, and their stored rows.
        pending_inputs(
            session,
            items,
            str(dbt.this) if dbt.is_incremental else None,
            dbt.config.get("current_label_order"),
        ),
        config,
        training_rows,
        # Only the vectors of the texts being labeled (and the training rows when the heads are refitted).
        load_embeddings=lambda hashes: (
            embeddings.join(session.from_arrow(pa.table({"wanted_hash": hashes})), "text_hash = wanted_hash")
            .select("text_hash, embedding")
            .to_arrow_table()
        ),
        label_map=dbt.ref("classifier_label_map").df(),
        codebook_emotions=dbt.ref("codebook_emotions").df(),
        database_file=database_path(session),
    )
