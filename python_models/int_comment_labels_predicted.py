"""Emotion and stance labels, one row per (comment text, post text, classifier backend, model, version).

Incremental: each input is classified once per classifier version; a rebuild with nothing new runs no inference.
"""

import pyarrow as pa

from rednote_affect.inference import current_embeddings, database_path, label_comments, pending_inputs


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="classification_key")
    # The project vars a Python model reads, as one dict (inference_settings in _python_models.yml).
    config = dbt.config.get("inference_settings")
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
        cue_lexicon=dbt.ref("emotion_cue_lexicon").df(),
        database_file=database_path(session),
    )
