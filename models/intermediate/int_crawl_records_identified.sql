-- The identity of every kept comment's and kept note's author, with its provenance (identity_source):
--   ip_location     the record's own IP location maps to chinese or foreign;
--   author_history  else, the same author_key's IP location on another record (another comment or post, an older
--                   crawl of this one, another era or tool), chosen by the `identity_history_rule` var:
--                   latest_before_else_nearest_after (default): the latest known location at or before this
--                   record's time, else the earliest one after it; none: no carry-over;
--   unknown         else. (fct_comments adds `inferred` where the opt-in classifier labels an unknown comment.)
-- Only locations that map to chinese or foreign count as known; ties are broken by record kind and row key.
-- The on-run-start hook check_identity_history_rule() rejects any other rule name.
{%- set history_rule = var('identity_history_rule') %}

with

comments as (

    select * from {{ ref('stg_mediacrawler__comments') }}

),

kept_comments as (

    select raw_row_key from {{ ref('int_comment_rows_triaged') }}
    where row_status = 'kept'

),

notes as (

    select * from {{ ref('stg_mediacrawler__notes') }}

),

kept_notes as (

    select raw_row_key from {{ ref('int_note_rows_triaged') }}
    where row_status = 'kept'

),

observations as (

    select * from {{ ref('int_author_locations_observed') }}
    where identity in ('chinese', 'foreign')

),

records as (

    select
        'comment' as record_kind,
        comments.raw_row_key,
        comments.comment_id as record_id,
        comments.author_key,
        comments.commented_at as record_at
    from comments
    inner join kept_comments on comments.raw_row_key = kept_comments.raw_row_key
    union all
    select
        'note' as record_kind,
        notes.raw_row_key,
        notes.note_id as record_id,
        notes.author_key,
        notes.published_at as record_at
    from notes
    inner join kept_notes on notes.raw_row_key = kept_notes.raw_row_key

),

own_locations as (

    select
        records.record_kind,
        records.record_id,
        observations.identity,
        observations.ip_location,
        observations.observed_at
    from records
    inner join observations
        on
            records.record_kind = observations.record_kind
            and records.raw_row_key = observations.raw_row_key

),

history_candidates as (

    select
        records.record_kind,
        records.record_id,
        observations.identity,
        observations.ip_location,
        observations.observed_at,
        row_number() over (
            partition by records.record_kind, records.record_id
            order by
                observations.observed_at <= records.record_at desc,
                case when observations.observed_at <= records.record_at then observations.observed_at end desc,
                observations.observed_at asc,
                observations.record_kind asc,
                observations.raw_row_key asc
        ) as history_rank
    from records
    inner join observations
        on
            records.author_key = observations.author_key
            and not (
                records.record_kind = observations.record_kind
                and records.raw_row_key = observations.raw_row_key
            )
    where {{ 'false' if history_rule == 'none' else 'true' }}

),

history as (

    select * from history_candidates
    where history_rank = 1

),

final as (

    select
        records.record_kind,
        records.record_id,
        records.author_key,
        coalesce(own_locations.identity, history.identity, 'unknown') as identity,
        case
            when own_locations.identity is not null then 'ip_location'
            when history.identity is not null then 'author_history'
            else 'unknown'
        end as identity_source,
        coalesce(own_locations.ip_location, history.ip_location) as identity_ip_location,
        coalesce(own_locations.observed_at, history.observed_at) as identity_observed_at
    from records
    left join own_locations
        on records.record_kind = own_locations.record_kind and records.record_id = own_locations.record_id
    left join history
        on records.record_kind = history.record_kind and records.record_id = history.record_id

)

select * from final
