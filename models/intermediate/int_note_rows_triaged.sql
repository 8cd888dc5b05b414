-- Every raw note row, triaged: kept (the latest crawl of its note_id), superseded (an older crawl of a kept or
-- superseded id) or quarantined (with the reason).
with

notes as (

    select * from {{ ref('stg_mediacrawler__notes') }}

),

versions as (

    select
        raw_row_key,
        row_number() over (
            partition by note_id
            order by last_modify_ts desc nulls last, source_file desc, source_row_number desc
        ) as version_rank
    from notes
    where row_quarantine_reason is null

),

final as (

    select
        notes.raw_row_key,
        notes.source_file,
        notes.source_row_number,
        notes.source_line_number,
        notes.note_id,
        case
            when notes.row_quarantine_reason is not null then 'quarantined'
            when versions.version_rank = 1 then 'kept'
            else 'superseded'
        end as row_status,
        notes.row_quarantine_reason as quarantine_reason,
        notes.row_quarantine_detail as quarantine_detail
    from notes
    left join versions on notes.raw_row_key = versions.raw_row_key

)

select * from final
