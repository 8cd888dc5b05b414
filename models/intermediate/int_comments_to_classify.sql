-- Each distinct (comment text, post text) the classifier must label: the crawl's comments and every evaluation
-- row (the gold and written test splits and any configured evaluation set), which is how each build measures
-- its own labels.
{%- set input_columns = 'classification_input_key, content, content_hash, post_text, post_text_hash' %}

with

crawl as (

    select {{ input_columns }}
    from {{ ref('int_comments_contextualized') }}

),

evaluation as (

    select {{ input_columns }}
    from {{ ref('int_classifier_evaluation_rows') }}

),

unioned as (

    select * from crawl
    union all
    select * from evaluation

),

final as (

    select
        classification_input_key,
        any_value(content) as content,
        any_value(content_hash) as content_hash,
        any_value(post_text) as post_text,
        any_value(post_text_hash) as post_text_hash
    from unioned
    group by classification_input_key

)

select * from final
