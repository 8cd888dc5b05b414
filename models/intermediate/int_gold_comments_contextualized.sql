-- Gold-labeled comments with the text of their post, keyed like the comments the classifier labels.
with

comments as (

    select * from {{ ref('stg_gold__comment_labels') }}

),

posts as (

    select * from {{ ref('stg_gold__post_labels') }}

),

final as (

    select
        comments.comment_id,
        comments.note_id,
        comments.content,
        comments.content_hash,
        posts.post_text,
        posts.post_text_hash,
        {{ text_hash("comments.content_hash || ':' || posts.post_text_hash") }} as classification_input_key,
        comments.emotion,
        comments.stance,
        posts.theme,
        comments.split
    from comments
    inner join posts on comments.note_id = posts.note_id

)

select * from final
