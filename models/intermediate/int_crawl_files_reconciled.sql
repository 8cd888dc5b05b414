-- Per raw file and entity: raw rows, and where each ended up (kept, superseded, quarantined).
-- tests/data/assert_raw_rows_reconcile.sql checks raw_rows = kept_rows + superseded_rows + quarantined_rows.
with

raw_notes as (

    select
        'notes' as entity,
        source_file,
        count(*) as raw_rows
    from {{ ref('stg_mediacrawler__notes') }}
    group by all

),

raw_comments as (

    select
        'comments' as entity,
        source_file,
        count(*) as raw_rows
    from {{ ref('stg_mediacrawler__comments') }}
    group by all

),

kept_notes as (

    select
        'notes' as entity,
        source_file,
        count(*) as kept_rows
    from {{ ref('int_notes_kept') }}
    group by all

),

kept_comments as (

    select
        'comments' as entity,
        source_file,
        count(*) as kept_rows
    from {{ ref('int_comments_kept') }}
    group by all

),

superseded as (

    select
        'notes' as entity,
        source_file,
        count(*) as superseded_rows
    from {{ ref('int_note_rows_triaged') }}
    where row_status = 'superseded'
    group by all

    union all

    select
        'comments' as entity,
        source_file,
        count(*) as superseded_rows
    from {{ ref('int_comment_rows_triaged') }}
    where row_status = 'superseded'
    group by all

),

quarantined as (

    select
        entity,
        source_file,
        count(*) as quarantined_rows
    from {{ ref('int_crawl_rows_quarantined') }}
    group by all

),

raw_rows as (

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
        raw_rows.entity || ':' || raw_rows.source_file as reconciled_file_key,
        raw_rows.entity,
        raw_rows.source_file,
        raw_rows.raw_rows,
        coalesce(kept.kept_rows, 0) as kept_rows,
        coalesce(superseded.superseded_rows, 0) as superseded_rows,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows
    from raw_rows
    left join kept
        on raw_rows.entity = kept.entity and raw_rows.source_file = kept.source_file
    left join superseded
        on raw_rows.entity = superseded.entity and raw_rows.source_file = superseded.source_file
    left join quarantined
        on raw_rows.entity = quarantined.entity and raw_rows.source_file = quarantined.source_file

)

select * from final
