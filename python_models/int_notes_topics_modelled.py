"""Topics of the kept posts (BERTopic) and a codebook theme for each post."""

from rednote_affect.topic_pipeline import model_post_topics


def model(dbt, session):
    dbt.config(materialized="table")
    notes = dbt.ref("int_notes_kept").select("note_id, post_text, post_text_hash")
    languages = dbt.ref("int_texts_language_detected")
    posts = notes.join(languages, "post_text_hash = text_hash", how="left").select(
        "note_id, post_text, coalesce(language, 'none') as language").df()
    embeddings = dbt.ref("int_text_embeddings")
    stopwords = set(dbt.ref("stopwords_zh").df()["word"]) | set(dbt.ref("stopwords_en").df()["word"])
    gold_posts = dbt.ref("stg_gold__post_labels").filter("split = 'train'").select("note_id, theme").df()
    return model_post_topics(
        posts,
        # Only the posts' embeddings: the table also holds every comment's.
        load_embeddings=lambda: embeddings.join(notes.select("post_text_hash"), "text_hash = post_text_hash")
        .select("text_hash, embedding").to_arrow_table(),
        themes=dbt.ref("codebook_themes").df(),
        overrides=dbt.ref("topic_theme_overrides").df(),
        stopwords=stopwords,
        gold_posts=gold_posts,
        embedding_backend=dbt.config.get("embedding_backend"),
        embedding_model=dbt.config.get("embedding_model") or None,
        seed=int(dbt.config.get("topic_seed")),
        theme_similarity_threshold=float(dbt.config.get("theme_similarity_threshold")),
    )
