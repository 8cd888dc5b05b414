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
    from {{ ref('int_comments_contextualised') }}

),

labels as (

    select * from {{ ref('int_comment_labels_selected') }}

),

languages as (

    select * from {{ ref('int_texts_language_detected') }}

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
        comments.identity,
        languages.language,
        coalesce(labels.emotion, 'unclassified') as emotion,
        coalesce(emotions.valence, 'unclassified') as emotion_valence,
        coalesce(labels.stance, 'unclassified') as stance,
        labels.emotion_confidence,
        labels.stance_confidence,
        coalesce(labels.classification_status, 'unclassified') as classification_status,
        comments.like_count,
        comments.is_top_level,
        threads.reply_depth,
        threads.thread_issue,
        comments.commented_at,
        labels.classifier_backend,
        labels.classifier_model,
        labels.classifier_version,
        labels.classified_at
    from comments
    inner join threads on comments.comment_id = threads.comment_id
    inner join contexts on comments.comment_id = contexts.comment_id
    left join labels on contexts.classification_input_key = labels.classification_input_key
    left join languages on comments.content_hash = languages.text_hash
    left join posts on comments.note_id = posts.note_id
    left join emotions on labels.emotion = emotions.emotion

)

select * from final
