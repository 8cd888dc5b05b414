-- Each distinct text that needs an embedding: everything the theme step reads (posts and a sample of each
-- post's comments, from the crawl and the gold seed) and, for the default heads classifier, every comment of
-- the crawl and every text it trains or is measured on, with their posts (the context of stance). The opt-in
-- identity classifier (infer_identity) also reads every comment of the crawl.
{% set embeds_every_comment = 'true' if var('classifier_backend') == 'heads' else 'false' %}
{% set embeds_crawl_comments = 'true' if var('classifier_backend') == 'heads' or var('infer_identity') else 'false' %}

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
    where {{ embeds_crawl_comments }}

),

training_rows as (

    select * from {{ ref('int_classifier_training_rows') }}
    where {{ embeds_every_comment }}

),

evaluation_rows as (

    select * from {{ ref('int_classifier_evaluation_rows') }}
    where {{ embeds_every_comment }}

),

-- The heads read each comment's vector and its post's (the context of stance).
labeled as (

    select
        content_hash as text_hash,
        content as text
    from training_rows
    union all
    select
        post_text_hash as text_hash,
        post_text as text
    from training_rows
    union all
    select
        content_hash as text_hash,
        content as text
    from evaluation_rows
    union all
    select
        post_text_hash as text_hash,
        post_text as text
    from evaluation_rows

),

unioned as (

    select * from theme_evidence
    union all
    select * from crawl_comments
    union all
    select * from labeled

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
