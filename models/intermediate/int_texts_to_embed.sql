-- Each distinct text that needs an embedding: everything the theme step reads (posts and a sample of each
-- post's comments, from the crawl and the gold seed) and, for the default heads classifier, every comment of
-- the crawl and every text it trains or is measured on, with their posts (the context of stance). The opt-in
-- identity classifier (infer_identity) also reads every comment of the crawl.
{% set embeds_every_comment = 'true' if var('classifier_backend') == 'heads' else 'false' %}
{% set reads_crawl_comments = var('classifier_backend') == 'heads' or var_is_true('infer_identity') %}
{% set embeds_crawl_comments = 'true' if reads_crawl_comments else 'false' %}

with

theme_evidence as (

    select * from {{ ref('int_notes_theme_evidence') }}

),

crawl_comments as (

    select * from {{ ref('int_comments_kept') }}
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
final as (

    {{ distinct_texts([
        ('theme_evidence', 'text_hash', 'text'),
        ('crawl_comments', 'content_hash', 'content'),
        ('training_rows', 'content_hash', 'content'),
        ('training_rows', 'post_text_hash', 'post_text'),
        ('evaluation_rows', 'content_hash', 'content'),
        ('evaluation_rows', 'post_text_hash', 'post_text'),
    ]) }}

)

select * from final
