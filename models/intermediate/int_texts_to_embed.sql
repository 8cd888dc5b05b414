-- Each distinct text that needs an embedding: posts (topics; context for stance) and, for the default heads
-- classifier, comments; from the crawl and from the gold seed.
with

crawl_posts as (

    select post_text_hash as text_hash, post_text as text from {{ ref('int_notes_kept') }}

),

gold_posts as (

    select post_text_hash as text_hash, post_text as text from {{ ref('stg_gold__post_labels') }}

),

{% if var('classifier_backend') == 'heads' %}
crawl_comments as (

    select content_hash as text_hash, content as text from {{ ref('int_comments_kept') }}

),

gold_comments as (

    select content_hash as text_hash, content as text from {{ ref('stg_gold__comment_labels') }}

),
{% endif %}

unioned as (

    select * from crawl_posts
    union all
    select * from gold_posts
    {% if var('classifier_backend') == 'heads' %}
        union all
        select * from crawl_comments
        union all
        select * from gold_comments
    {% endif %}

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
