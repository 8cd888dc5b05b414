"""A codebook theme for every kept post: the post and its first 30 comments against prototypes built from the
gold train posts (rednote_affect/themes.py). Recomputed on every build: it reads stored vectors only."""

from rednote_affect.inference import current_embeddings, embedding_matrix
from rednote_affect.topic_pipeline import assign_post_themes


def model(dbt, session):
    dbt.config(materialized="table")
    # The project vars a Python model reads, as one dict (inference_settings in _python_models.yml).
    config = dbt.config.get("inference_settings")
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
        theme_similarity_threshold=float(config["theme_similarity_threshold"]),
    )
