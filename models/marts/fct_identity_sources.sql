-- Where the identity split comes from, over the whole crawl: one row per identity source (all four, zero rows
-- included), with its share of the kept comments and of the authors (dim_authors: each author's latest comment).
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

comment_counts as (

    select
        identity_source,
        count(*) as comment_count,
        count(*) filter (where identity = 'chinese') as chinese_comment_count,
        count(*) filter (where identity = 'foreign') as foreign_comment_count,
        count(*) filter (where schema_era = '2026') as comment_count_2026_era
    from comments
    group by identity_source

),

author_counts as (

    select
        identity_source,
        count(*) as author_count
    from authors
    group by identity_source

),

counted as (

    select
        sources.source_order,
        sources.identity_source,
        coalesce(comment_counts.comment_count, 0) as comment_count,
        coalesce(comment_counts.chinese_comment_count, 0) as chinese_comment_count,
        coalesce(comment_counts.foreign_comment_count, 0) as foreign_comment_count,
        coalesce(comment_counts.comment_count_2026_era, 0) as comment_count_2026_era,
        coalesce(author_counts.author_count, 0) as author_count
    from sources
    left join comment_counts on sources.identity_source = comment_counts.identity_source
    left join author_counts on sources.identity_source = author_counts.identity_source

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
