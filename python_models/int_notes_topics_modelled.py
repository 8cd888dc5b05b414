"""Topics of the kept posts (BERTopic) and a codebook theme for each post.

Refitted only when what it depends on changes (topic_model_fingerprint); otherwise the stored tables are kept,
so a rebuild with no new posts or evidence runs no topic model.
"""

from rednote_affect.inference import log
from rednote_affect.topic_pipeline import model_post_topics, topic_inputs_fingerprint


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="note_id", on_schema_change="append_new_columns")
    notes = dbt.ref("int_notes_kept").select("note_id, post_text, post_text_hash")
    languages = dbt.ref("int_texts_language_detected")
    posts = notes.join(languages, "post_text_hash = text_hash", how="left").select(
        "note_id, post_text, coalesce(language, 'none') as language").df()
    evidence_relation = dbt.ref("int_notes_theme_evidence")
    chinese_stopwords = dbt.ref("stopwords_zh").df()
    english_stopwords = dbt.ref("stopwords_en").df()
    stopwords = set(chinese_stopwords["word"]) | set(english_stopwords["word"])
    themes = dbt.ref("codebook_themes").df()
    overrides = dbt.ref("topic_theme_overrides").df()
    settings = {
        "embedding_backend": dbt.config.get("embedding_backend"),
        "embedding_model": dbt.config.get("embedding_model"),
        "topic_seed": dbt.config.get("topic_seed"),
        "theme_similarity_threshold": dbt.config.get("theme_similarity_threshold"),
    }
    fingerprint = topic_inputs_fingerprint(
        posts, evidence_relation.select("evidence_key, text_hash").df(), themes, overrides, stopwords, settings)
    if dbt.is_incremental:
        columns = {row[0] for row in session.execute(f"describe {dbt.this}").fetchall()}
        stored = (session.execute(f"select distinct topic_model_fingerprint from {dbt.this}").fetchall()
                  if "topic_model_fingerprint" in columns else [])
        if stored == [(fingerprint,)]:
            log("topics: posts, evidence and settings unchanged; keeping the fitted topics and themes")
            return session.sql(f"select * from {dbt.this} limit 0").to_arrow_table()
        # A refit replaces the whole assignment (posts may have gone), not only the rows it returns.
        session.execute(f"delete from {dbt.this}")
    evidence = evidence_relation.join(
        dbt.ref("int_text_embeddings").select("text_hash as embedded_hash, embedding"), "text_hash = embedded_hash"
    ).select("evidence_source, evidence_kind, note_id, record_id, gold_theme, embedding").df()
    return model_post_topics(
        posts,
        evidence,
        themes=themes,
        overrides=overrides,
        stopwords=stopwords,
        embedding_backend=settings["embedding_backend"],
        embedding_model=settings["embedding_model"] or None,
        seed=int(settings["topic_seed"]),
        theme_similarity_threshold=float(settings["theme_similarity_threshold"]),
        fingerprint=fingerprint,
    )
