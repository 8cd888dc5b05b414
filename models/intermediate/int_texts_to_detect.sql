-- Each distinct post and comment text of the crawl, for language detection.
with

posts as (

    select * from {{ ref('int_notes_kept') }}

),

comments as (

    select * from {{ ref('int_comments_kept') }}

),

final as (

    {{ distinct_texts([
        ('posts', 'post_text_hash', 'post_text'),
        ('comments', 'content_hash', 'content'),
    ]) }}

)

select * from final
