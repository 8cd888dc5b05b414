-- Each distinct text that needs an embedding: everything the theme step reads (posts and a sample of each
-- post's comments, from the crawl and the gold seed) and, for the default heads classifier, every comment of
-- the crawl and of the gold seed.
with

theme_evidence as (

    select text_hash, text from {{ ref('int_notes_theme_evidence') }}

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

    select * from theme_evidence
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
