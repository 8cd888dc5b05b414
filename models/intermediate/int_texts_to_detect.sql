-- Each distinct post and comment text of the crawl, for language detection.
with

posts as (

    select
        post_text_hash as text_hash,
        post_text as text
    from {{ ref('int_notes_kept') }}

),

comments as (

    select
        content_hash as text_hash,
        content as text
    from {{ ref('int_comments_kept') }}

),

unioned as (

    select * from posts
    union all
    select * from comments

),

final as (

    select
        text_hash,
        any_value(text) as text
    from unioned
    group by text_hash

)

select * from final
