-- Every raw row that was quarantined, notes and comments together, with its file, row number and reason.
with

notes as (

    select * from {{ ref('int_note_rows_triaged') }}
    where row_status = 'quarantined'

),

comments as (

    select * from {{ ref('int_comment_rows_triaged') }}
    where row_status = 'quarantined'

),

unioned as (

    select
        'notes' as entity,
        raw_row_key,
        source_file,
        source_row_number,
        source_line_number,
        note_id as record_id,
        quarantine_reason,
        quarantine_detail
    from notes

    union all

    select
        'comments' as entity,
        raw_row_key,
        source_file,
        source_row_number,
        source_line_number,
        comment_id as record_id,
        quarantine_reason,
        quarantine_detail
    from comments

),

final as (

    select
        entity || ':' || raw_row_key as quarantined_row_key,
        *
    from unioned

)

select * from final
