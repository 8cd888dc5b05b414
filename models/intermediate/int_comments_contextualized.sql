-- Kept comments with the text of their post: what the classifier reads (the post is the context for stance).
with

comments as (

    select * from {{ ref('int_comments_kept') }}

),

notes as (

    select * from {{ ref('int_notes_kept') }}

),

final as (

    select
        comments.comment_id,
        comments.content,
        comments.content_hash,
        notes.post_text,
        notes.post_text_hash,
        {{ text_hash("comments.content_hash || ':' || notes.post_text_hash") }} as classification_input_key
    from comments
    inner join notes on comments.note_id = notes.note_id

)

select * from final
