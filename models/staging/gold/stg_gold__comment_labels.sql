with

source as (

    select * from {{ ref('gold_comment_labels') }}

),

final as (

    select
        comment_id,
        note_id,
        {{ clean_text('content') }} as content,
        {{ text_hash(clean_text('content')) }} as content_hash,
        emotion,
        stance,
        split
    from source

)

select * from final
