with

source as (

    select * from {{ ref('written_comment_labels') }}

),

cleaned as (

    select
        comment_id,
        post_id,
        register,
        {{ clean_text('title') }} as title,
        {{ clean_text('description') }} as description,
        {{ clean_text('content') }} as content,
        emotion,
        stance,
        split
    from source

),

final as (

    select
        comment_id,
        post_id,
        register,
        content,
        {{ text_hash('content') }} as content_hash,
        concat_ws(' ', title, description) as post_text,
        {{ text_hash("concat_ws(' ', title, description)") }} as post_text_hash,
        emotion,
        stance,
        split
    from cleaned

)

select * from final
