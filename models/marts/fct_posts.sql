{%- set identity_counts = {
    'chinese': 'chinese_comment_count',
    'foreign': 'foreign_comment_count',
    'unknown': 'unknown_identity_comment_count',
} -%}
{%- set identity_source_counts = {
    'ip_location': 'ip_location_identity_comment_count',
    'author_history': 'author_history_identity_comment_count',
    'inferred': 'inferred_identity_comment_count',
} -%}
{%- set stance_counts = {
    'pro_china': 'pro_china_comment_count',
    'neutral': 'neutral_stance_comment_count',
    'pro_foreign': 'pro_foreign_comment_count',
    'unclassified': 'unclassified_comment_count',
} -%}
with

notes as (

    select * from {{ ref('int_notes_kept') }}

),

topics as (

    select * from {{ ref('int_notes_topics_themed') }}

),

languages as (

    select * from {{ ref('int_texts_language_detected') }}

),

comments as (

    select * from {{ ref('fct_comments') }}

),

-- Every note gets a row (zero counts when no comment was kept).
comment_counts as (

    select
        notes.note_id,
        count(comments.comment_id) as comment_count,
        {{ count_each_value('comments.identity', identity_counts) }},
        {{ count_each_value('comments.identity_source', identity_source_counts) }},
        {{ count_each_value('comments.stance', stance_counts) }}
    from notes
    left join comments on notes.note_id = comments.note_id
    group by notes.note_id

),

final as (

    select
        notes.note_id,
        notes.author_key,
        notes.author_identity,
        notes.author_identity_source,
        notes.title,
        topics.theme,
        topics.topic_id,
        topics.theme_similarity,
        languages.language,
        notes.published_at,
        notes.liked_count,
        notes.collected_count,
        notes.share_count,
        notes.reported_comment_count,
        comment_counts.comment_count,
        comment_counts.chinese_comment_count,
        comment_counts.foreign_comment_count,
        comment_counts.unknown_identity_comment_count,
        comment_counts.ip_location_identity_comment_count,
        comment_counts.author_history_identity_comment_count,
        comment_counts.inferred_identity_comment_count,
        comment_counts.pro_china_comment_count,
        comment_counts.neutral_stance_comment_count,
        comment_counts.pro_foreign_comment_count,
        comment_counts.unclassified_comment_count
    from notes
    left join topics on notes.note_id = topics.note_id
    left join languages on notes.post_text_hash = languages.text_hash
    inner join comment_counts on notes.note_id = comment_counts.note_id

)

select * from final
