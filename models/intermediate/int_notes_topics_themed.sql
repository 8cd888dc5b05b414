-- One row per kept post: its BERTopic topic, its theme, and its topic's theme. A row of topic_theme_overrides
-- replaces the theme of every post in that topic; a topic's theme is the most common theme of its posts (ties:
-- alphabetical), so an overridden topic takes the override.
with

topics as (

    select * from {{ ref('int_notes_topics_modelled') }}

),

themes as (

    select * from {{ ref('int_notes_themes_assigned') }}

),

overrides as (

    select * from {{ ref('topic_theme_overrides') }}

),

posts_themed as (

    select
        topics.note_id,
        topics.topic_id,
        coalesce(overrides.theme, themes.theme) as theme,
        themes.theme_similarity,
        case when overrides.theme is not null then 'override' else themes.theme_source end as theme_source,
        topics.topic_label,
        topics.top_words_zh,
        topics.top_words_en,
        topics.topic_post_count,
        topics.representative_note_ids,
        topics.embedding_model,
        topics.bertopic_version,
        topics.topic_seed,
        topics.topic_model_parameters,
        themes.theme_model_parameters
    from topics
    left join themes on topics.note_id = themes.note_id
    left join overrides on topics.topic_id = overrides.topic_id

),

topic_themes as (

    select
        topic_id,
        theme as topic_theme
    from posts_themed
    group by topic_id, theme
    qualify row_number() over (partition by topic_id order by count(*) desc, theme asc) = 1

),

final as (

    select
        posts_themed.note_id,
        posts_themed.topic_id,
        posts_themed.theme,
        posts_themed.theme_similarity,
        posts_themed.theme_source,
        posts_themed.topic_label,
        posts_themed.top_words_zh,
        posts_themed.top_words_en,
        topic_themes.topic_theme,
        posts_themed.topic_post_count,
        posts_themed.representative_note_ids,
        posts_themed.embedding_model,
        posts_themed.bertopic_version,
        posts_themed.topic_seed,
        posts_themed.topic_model_parameters,
        posts_themed.theme_model_parameters
    from posts_themed
    left join topic_themes on posts_themed.topic_id = topic_themes.topic_id

)

select * from final
