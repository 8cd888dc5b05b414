"""Topics of the kept posts (BERTopic) and a codebook theme for each post."""

from rednote_affect.topic_pipeline import model_post_topics


def model(dbt, session):
    dbt.config(materialized="table")
    notes = dbt.ref("int_notes_kept").select("note_id, post_text, post_text_hash")
    languages = dbt.ref("int_texts_language_detected")
    posts = notes.join(languages, "post_text_hash = text_hash", how="left").select(
        "note_id, post_text, coalesce(language, 'none') as language").df()
    evidence = dbt.ref("int_notes_theme_evidence").join(
        dbt.ref("int_text_embeddings").select("text_hash as embedded_hash, embedding"), "text_hash = embedded_hash"
    ).select("evidence_source, evidence_kind, note_id, record_id, gold_theme, embedding").df()
    chinese_stopwords = dbt.ref("stopwords_zh").df()
    english_stopwords = dbt.ref("stopwords_en").df()
    stopwords = set(chinese_stopwords["word"]) | set(english_stopwords["word"])
    return model_post_topics(
        posts,
        evidence,
        themes=dbt.ref("codebook_themes").df(),
        overrides=dbt.ref("topic_theme_overrides").df(),
        stopwords=stopwords,
        embedding_backend=dbt.config.get("embedding_backend"),
        embedding_model=dbt.config.get("embedding_model") or None,
        seed=int(dbt.config.get("topic_seed")),
        theme_similarity_threshold=float(dbt.config.get("theme_similarity_threshold")),
    )
