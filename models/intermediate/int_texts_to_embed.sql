-- Each distinct text that needs an embedding: everything the theme step reads (posts and a sample of each
-- post's comments, from the crawl and the gold seed) and, for the default heads classifier, every comment of
-- the crawl and of the gold seed, and every gold post (the context of its comments' stance).
{% set embeds_every_comment = 'true' if var('classifier_backend') == 'heads' else 'false' %}

with

theme_evidence as (

    select
        text_hash,
        text
    from {{ ref('int_notes_theme_evidence') }}

),

crawl_comments as (

    select
        content_hash as text_hash,
        content as text
    from {{ ref('int_comments_kept') }}
    where {{ embeds_every_comment }}

),

gold_comments as (

    select
        content_hash as text_hash,
        content as text
    from {{ ref('stg_gold__comment_labels') }}
    where {{ embeds_every_comment }}

),

gold_posts as (

    select
        post_text_hash as text_hash,
        post_text as text
    from {{ ref('stg_gold__post_labels') }}
    where {{ embeds_every_comment }}

),

unioned as (

    select * from theme_evidence
    union all
    select * from crawl_comments
    union all
    select * from gold_comments
    union all
    select * from gold_posts

),

final as (

    select
        text_hash,
        any_value(text) as text
    from unioned
    where text is not null
    group by text_hash

)

select * from final
