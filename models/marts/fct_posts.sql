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

comment_counts as (

    select
        note_id,
        count(*) as comment_count,
        count(*) filter (where identity = 'chinese') as chinese_comment_count,
        count(*) filter (where identity = 'foreign') as foreign_comment_count,
        count(*) filter (where identity = 'unknown') as unknown_identity_comment_count,
        count(*) filter (where identity_source = 'ip_location') as ip_location_identity_comment_count,
        count(*) filter (where identity_source = 'author_history') as author_history_identity_comment_count,
        count(*) filter (where identity_source = 'inferred') as inferred_identity_comment_count,
        count(*) filter (where stance = 'pro_china') as pro_china_comment_count,
        count(*) filter (where stance = 'neutral') as neutral_stance_comment_count,
        count(*) filter (where stance = 'pro_foreign') as pro_foreign_comment_count,
        count(*) filter (where stance = 'unclassified') as unclassified_comment_count
    from comments
    group by note_id

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
        coalesce(comment_counts.comment_count, 0) as comment_count,
        coalesce(comment_counts.chinese_comment_count, 0) as chinese_comment_count,
        coalesce(comment_counts.foreign_comment_count, 0) as foreign_comment_count,
        coalesce(comment_counts.unknown_identity_comment_count, 0) as unknown_identity_comment_count,
        coalesce(comment_counts.ip_location_identity_comment_count, 0) as ip_location_identity_comment_count,
        coalesce(comment_counts.author_history_identity_comment_count, 0) as author_history_identity_comment_count,
        coalesce(comment_counts.inferred_identity_comment_count, 0) as inferred_identity_comment_count,
        coalesce(comment_counts.pro_china_comment_count, 0) as pro_china_comment_count,
        coalesce(comment_counts.neutral_stance_comment_count, 0) as neutral_stance_comment_count,
        coalesce(comment_counts.pro_foreign_comment_count, 0) as pro_foreign_comment_count,
        coalesce(comment_counts.unclassified_comment_count, 0) as unclassified_comment_count
    from notes
    left join topics on notes.note_id = topics.note_id
    left join languages on notes.post_text_hash = languages.text_hash
    left join comment_counts on notes.note_id = comment_counts.note_id

)

select * from final
