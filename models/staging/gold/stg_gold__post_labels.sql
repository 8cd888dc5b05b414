with

source as (

    select * from {{ ref('gold_post_labels') }}

),

cleaned as (

    select
        note_id,
        {{ clean_text('title') }} as title,
        {{ clean_text('description') }} as description,
        theme,
        split
    from source

),

final as (

    select
        note_id,
        title,
        description,
        concat_ws(' ', title, description) as post_text,
        {{ text_hash("concat_ws(' ', title, description)") }} as post_text_hash,
        theme,
        split
    from cleaned

)

select * from final
