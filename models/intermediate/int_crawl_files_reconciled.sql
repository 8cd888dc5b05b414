-- Per raw file and entity: raw rows, and where each ended up (kept, superseded, quarantined), each counted from the
-- model that holds those rows. tests/data/assert_raw_rows_reconcile.sql checks
-- raw_count = kept_count + superseded_count + quarantined_count.
{% set tally_counts = {
    'raw': 'raw_count',
    'kept': 'kept_count',
    'superseded': 'superseded_count',
    'quarantined': 'quarantined_count',
} %}

with

raw_notes as (

    select * from {{ ref('stg_mediacrawler__notes') }}

),

raw_comments as (

    select * from {{ ref('stg_mediacrawler__comments') }}

),

kept_notes as (

    select * from {{ ref('int_notes_kept') }}

),

kept_comments as (

    select * from {{ ref('int_comments_kept') }}

),

triaged_notes as (

    select * from {{ ref('int_note_rows_triaged') }}

),

triaged_comments as (

    select * from {{ ref('int_comment_rows_triaged') }}

),

quarantined as (

    select * from {{ ref('int_crawl_rows_quarantined') }}

),

-- One row per row counted, with what it is counted as.
tallied as (

    select
        'notes' as entity,
        source_file,
        'raw' as tally
    from raw_notes
    union all
    select
        'comments' as entity,
        source_file,
        'raw' as tally
    from raw_comments
    union all
    select
        'notes' as entity,
        source_file,
        'kept' as tally
    from kept_notes
    union all
    select
        'comments' as entity,
        source_file,
        'kept' as tally
    from kept_comments
    union all
    select
        'notes' as entity,
        source_file,
        'superseded' as tally
    from triaged_notes
    where row_status = 'superseded'
    union all
    select
        'comments' as entity,
        source_file,
        'superseded' as tally
    from triaged_comments
    where row_status = 'superseded'
    union all
    select
        entity,
        source_file,
        'quarantined' as tally
    from quarantined

),

final as (

    select
        entity || ':' || source_file as reconciled_file_key,
        entity,
        source_file,
        {{ count_each_value('tally', tally_counts) }}
    from tallied
    group by entity, source_file

)

select * from final
