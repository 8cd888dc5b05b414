-- Every kept comment with its thread, post theme and topic, identity, language and selected label: fct_comments,
-- and what the emotion cells count.
with

comments as (

    select * from {{ ref('int_comments_kept') }}

),

threads as (

    select * from {{ ref('int_comments_threaded') }}

),

contexts as (

    select
        comment_id,
        classification_input_key
    from {{ ref('int_comments_contextualized') }}

),

labels as (

    select * from {{ ref('int_comment_labels_selected') }}

),

languages as (

    select * from {{ ref('int_texts_language_detected') }}

),

-- Labels of the opt-in identity classifier for comments whose identity no IP location gives (empty when off).
inferred as (

    select
        comment_id,
        inferred_identity,
        inferred_confidence
    from {{ ref('int_comment_identities_inferred') }}
    where purpose = 'prediction'

),

posts as (

    select
        note_id,
        theme,
        topic_id
    from {{ ref('int_notes_topics_themed') }}

),

emotions as (

    select
        emotion,
        valence
    from {{ ref('codebook_emotions') }}

),

final as (

    select
        comments.comment_id,
        comments.note_id,
        threads.thread_root_comment_id,
        comments.parent_comment_id,
        comments.author_key,
        posts.theme,
        posts.topic_id,
        case
            when comments.identity_source = 'unknown' and inferred.inferred_identity is not null
                then inferred.inferred_identity
            else comments.identity
        end as identity,
        case
            when comments.identity_source = 'unknown' and inferred.inferred_identity is not null then 'inferred'
            else comments.identity_source
        end as identity_source,
        case when comments.identity_source = 'unknown' then inferred.inferred_confidence end as identity_confidence,
        languages.language,
        {{ selected_label_columns('labels', 'emotions') }},
        coalesce(labels.classification_status, 'unclassified') as classification_status,
        comments.like_count,
        comments.is_top_level,
        threads.reply_depth,
        threads.thread_issue,
        comments.commented_at,
        comments.schema_era,
        labels.classified_at
    from comments
    inner join threads on comments.comment_id = threads.comment_id
    inner join contexts on comments.comment_id = contexts.comment_id
    left join labels on contexts.classification_input_key = labels.classification_input_key
    left join languages on comments.content_hash = languages.text_hash
    left join inferred on comments.comment_id = inferred.comment_id
    left join posts on comments.note_id = posts.note_id
    left join emotions on labels.emotion = emotions.emotion

)

select * from final
