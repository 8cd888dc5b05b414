-- One row per author of a kept comment or post: the identity of their latest comment (else their latest post),
-- with its source, and what the crawl knows of their locations.
with

comments as (

    select * from {{ ref('fct_comments') }}
    where author_key is not null

),

posts as (

    select * from {{ ref('fct_posts') }}
    where author_key is not null

),

observations as (

    select * from {{ ref('int_author_locations_observed') }}

),

authored as (

    select
        author_key,
        'comment' as record_kind,
        commented_at as written_at,
        comment_id as record_id,
        identity,
        identity_source
    from comments
    union all
    select
        author_key,
        'note' as record_kind,
        published_at as written_at,
        note_id as record_id,
        author_identity as identity,
        author_identity_source as identity_source
    from posts

),

latest as (

    select * from authored
    qualify row_number() over (
        partition by author_key
        order by record_kind = 'comment' desc, written_at desc, record_id desc
    ) = 1

),

activity as (

    select
        author_key,
        count(*) filter (where record_kind = 'comment') as comment_count,
        count(*) filter (where record_kind = 'note') as post_count,
        min(written_at) as first_seen_at,
        max(written_at) as last_seen_at
    from authored
    group by author_key

),

locations as (

    select
        author_key,
        count(distinct ip_location) filter (where identity in ('chinese', 'foreign')) as known_location_count,
        count(distinct identity) filter (where identity in ('chinese', 'foreign')) > 1 as has_conflicting_locations
    from observations
    group by author_key

),

final as (

    select
        activity.author_key,
        latest.identity,
        latest.identity_source,
        activity.comment_count,
        activity.post_count,
        activity.first_seen_at,
        activity.last_seen_at,
        coalesce(locations.known_location_count, 0) as known_location_count,
        coalesce(locations.has_conflicting_locations, false) as has_conflicting_locations
    from activity
    inner join latest on activity.author_key = latest.author_key
    left join locations on activity.author_key = locations.author_key

)

select * from final
