-- Where the identity split comes from, over the whole crawl: one row per identity source (all four, zero rows
-- included), with its share of the kept comments and of the authors (dim_authors: each author's latest comment).
{% set identity_counts = {'chinese': 'chinese_comment_count', 'foreign': 'foreign_comment_count'} %}

with

comments as (

    select * from {{ ref('fct_comments') }}

),

authors as (

    select * from {{ ref('dim_authors') }}

),

sources as (

    select
        unnest([1, 2, 3, 4]) as source_order,
        unnest(['ip_location', 'author_history', 'inferred', 'unknown']) as identity_source

),

-- Every source gets a row (zero counts when no comment has it).
comment_counts as (

    select
        sources.identity_source,
        sources.source_order,
        count(comments.comment_id) as comment_count,
        {{ count_each_value('comments.identity', identity_counts) }},
        {{ count_each_value('comments.schema_era', {'2026': 'comment_count_2026_era'}) }}
    from sources
    left join comments on sources.identity_source = comments.identity_source
    group by sources.identity_source, sources.source_order

),

author_counts as (

    select
        sources.identity_source,
        count(authors.author_key) as author_count
    from sources
    left join authors on sources.identity_source = authors.identity_source
    group by sources.identity_source

),

counted as (

    select
        comment_counts.*,
        author_counts.author_count
    from comment_counts
    inner join author_counts on comment_counts.identity_source = author_counts.identity_source

),

final as (

    select
        identity_source,
        source_order,
        comment_count,
        {{ safe_divide('comment_count', 'sum(comment_count) over ()') }} as comment_share,
        chinese_comment_count,
        foreign_comment_count,
        comment_count_2026_era,
        {{ safe_divide('comment_count_2026_era', 'sum(comment_count_2026_era) over ()') }}
            as comment_share_2026_era,
        author_count,
        {{ safe_divide('author_count', 'sum(author_count) over ()') }} as author_share
    from counted

)

select * from final
