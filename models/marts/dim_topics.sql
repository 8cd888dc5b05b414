with

posts as (

    select * from {{ ref('int_notes_topics_themed') }}

),

final as (

    select distinct
        topic_id,
        topic_label,
        top_words_zh,
        top_words_en,
        topic_theme as theme,
        topic_post_count as post_count,
        representative_note_ids,
        embedding_model,
        bertopic_version,
        topic_seed
    from posts

)

select * from final
