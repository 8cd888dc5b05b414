-- Per raw file and entity: raw rows, and where each ended up (kept, superseded, quarantined).
-- tests/data/assert_raw_rows_reconcile.sql checks raw_count = kept_count + superseded_count + quarantined_count.
with

raw_notes as (

    select
        'notes' as entity,
        source_file,
        count(*) as raw_count
    from {{ ref('stg_mediacrawler__notes') }}
    group by all

),

raw_comments as (

    select
        'comments' as entity,
        source_file,
        count(*) as raw_count
    from {{ ref('stg_mediacrawler__comments') }}
    group by all

),

kept_notes as (

    select
        'notes' as entity,
        source_file,
        count(*) as kept_count
    from {{ ref('int_notes_kept') }}
    group by all

),

kept_comments as (

    select
        'comments' as entity,
        source_file,
        count(*) as kept_count
    from {{ ref('int_comments_kept') }}
    group by all

),

triaged as (

    select
        'notes' as entity,
        source_file,
        row_status
    from {{ ref('int_note_rows_triaged') }}
    union all
    select
        'comments' as entity,
        source_file,
        row_status
    from {{ ref('int_comment_rows_triaged') }}

),

superseded as (

    select
        entity,
        source_file,
        count(*) as superseded_count
    from triaged
    where row_status = 'superseded'
    group by all

),

quarantined as (

    select
        entity,
        source_file,
        count(*) as quarantined_count
    from {{ ref('int_crawl_rows_quarantined') }}
    group by all

),

raw_count as (

    select * from raw_notes
    union all
    select * from raw_comments

),

kept as (

    select * from kept_notes
    union all
    select * from kept_comments

),

final as (

    select
        raw_count.entity || ':' || raw_count.source_file as reconciled_file_key,
        raw_count.entity,
        raw_count.source_file,
        raw_count.raw_count,
        coalesce(kept.kept_count, 0) as kept_count,
        coalesce(superseded.superseded_count, 0) as superseded_count,
        coalesce(quarantined.quarantined_count, 0) as quarantined_count
    from raw_count
    left join kept
        on raw_count.entity = kept.entity and raw_count.source_file = kept.source_file
    left join superseded
        on raw_count.entity = superseded.entity and raw_count.source_file = superseded.source_file
    left join quarantined
        on raw_count.entity = quarantined.entity and raw_count.source_file = quarantined.source_file

)

select * from final
