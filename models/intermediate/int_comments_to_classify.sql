-- Each distinct (comment text, post text) the classifier must label: the crawl's comments and the gold comments
-- (the gold test split is how every build measures its own labels).
with

crawl as (

    select
        classification_input_key,
        content,
        post_text
    from {{ ref('int_comments_contextualised') }}

),

gold as (

    select
        classification_input_key,
        content,
        post_text
    from {{ ref('int_gold_comments_contextualised') }}

),

unioned as (

    select * from crawl
    union all
    select * from gold

),

final as (

    select
        classification_input_key,
        any_value(content) as content,
        any_value(post_text) as post_text
    from unioned
    group by classification_input_key

)

select * from final
