-- Every IP location an author was seen with: each valid comment or note record (kept, superseded or orphaned,
-- from any file or crawl) that carries an author_key and an IP location, with the identity the location maps
-- to through the ip_location_identities seed. This is the one place the seed is read.
with

comments as (

    select * from {{ ref('stg_mediacrawler__comments') }}
    where row_quarantine_reason is null and author_key is not null and ip_location is not null

),

notes as (

    select * from {{ ref('stg_mediacrawler__notes') }}
    where row_quarantine_reason is null and author_key is not null and ip_location is not null

),

identities as (

    select * from {{ ref('ip_location_identities') }}

),

observations as (

    select
        'comment' as record_kind,
        raw_row_key,
        comment_id as record_id,
        author_key,
        ip_location,
        commented_at as observed_at
    from comments
    union all
    select
        'note' as record_kind,
        raw_row_key,
        note_id as record_id,
        author_key,
        ip_location,
        published_at as observed_at
    from notes

),

final as (

    select
        observations.record_kind,
        observations.raw_row_key,
        observations.record_id,
        observations.author_key,
        observations.ip_location,
        coalesce(identities.identity, 'unknown') as identity,
        observations.observed_at
    from observations
    left join identities on observations.ip_location = identities.ip_location

)

select * from final
