"""BERTopic topics of the kept posts, on their stored embeddings (themes: int_notes_themes_assigned).

Refitted only when the posts, their languages or the topic settings change (topic_model_fingerprint); new comments
never refit it. Otherwise the stored rows are returned as they are and no topic model runs. Either way the model
returns every post's row, and dbt merges it on note_id, deleting the rows of posts it no longer returns (the
merge_clauses in _python_models.yml).
"""

from rednote_affect.inference import current_embeddings, embedding_matrix, log
from rednote_affect.topic_pipeline import model_post_topics, topic_inputs_fingerprint


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="merge",
        unique_key="note_id",
        on_schema_change="append_new_columns",
    )
    languages = dbt.ref("int_texts_language_detected")
    posts = (
        dbt.ref("int_notes_kept")
        .join(languages, "post_text_hash = text_hash", how="left")
        .select("note_id, post_text, post_text_hash, coalesce(language, 'none') as language")
        .df()
    )
    # dbt finds refs by reading this file, and not inside subscripts or operators: one ref per statement.
    chinese_stopwords = dbt.ref("stopwords_zh").df()
    english_stopwords = dbt.ref("stopwords_en").df()
    stopwords = set(chinese_stopwords["word"]) | set(english_stopwords["word"])
    # The settings that shape the topics (and so their fingerprint), from the project vars.
    config = dbt.config.get("inference_settings")
    settings = {
        key: config[key] for key in ("embedding_backend", "embedding_model", "topic_seed", "topic_reduction")
    }
    fingerprint = topic_inputs_fingerprint(posts, stopwords, settings)
    if dbt.is_incremental:
        columns = {row[0] for row in session.execute(f"describe {dbt.this}").fetchall()}
        stored = (
            session.execute(f"select distinct topic_model_fingerprint from {dbt.this}").fetchall()
            if "topic_model_fingerprint" in columns
            else []
        )
        if stored == [(fingerprint,)]:
            log("topics: posts and settings unchanged; keeping the fitted topics")
            return session.sql(f"select * from {dbt.this}").to_arrow_table()
    embeddings = dbt.ref("int_text_embeddings")
    vectors = (
        dbt.ref("int_notes_kept")
        .join(
            current_embeddings(embeddings, settings["embedding_backend"], settings["embedding_model"]).select(
                "text_hash, embedding"
            ),
            "post_text_hash = text_hash",
        )
        .select("note_id, embedding")
        .to_arrow_table()
    )
    row_by_note = {note_id: row for row, note_id in enumerate(vectors["note_id"].to_pylist())}
    post_embeddings = embedding_matrix(vectors.take([row_by_note[note_id] for note_id in posts["note_id"]]))
    return model_post_topics(
        posts,
        post_embeddings,
        stopwords,
        embedding_backend=settings["embedding_backend"],
        embedding_model=settings["embedding_model"] or None,
        seed=int(settings["topic_seed"]),
        reduction=str(settings["topic_reduction"] or "umap"),
        fingerprint=fingerprint,
    )
