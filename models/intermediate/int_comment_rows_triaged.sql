-- Every raw comment row, triaged: kept (the latest crawl of its comment_id, under a kept note), superseded (an
-- older crawl of the same comment_id) or quarantined (row-level reasons from staging, or orphan_comment when its
-- note is not among the kept notes).
with

comments as (

    select * from {{ ref('stg_mediacrawler__comments') }}

),

kept_notes as (

    select note_id from {{ ref('int_note_rows_triaged') }}
    where row_status = 'kept'

),

versions as (

    select
        raw_row_key,
        note_id,
        row_number() over (
            partition by comment_id
            order by last_modify_ts desc nulls last, source_file desc, source_row_number desc
        ) as version_rank
    from comments
    where row_quarantine_reason is null

),

triaged as (

    select
        comments.raw_row_key,
        comments.source_file,
        comments.source_row_number,
        comments.source_line_number,
        comments.comment_id,
        comments.note_id,
        case
            when comments.row_quarantine_reason is not null then comments.row_quarantine_reason
            when versions.version_rank = 1 and kept_notes.note_id is null then 'orphan_comment'
        end as quarantine_reason,
        case
            when comments.row_quarantine_reason is not null then comments.row_quarantine_detail
            when versions.version_rank = 1 and kept_notes.note_id is null
                then 'note_id ' || comments.note_id || ' is not among the kept notes'
        end as quarantine_detail,
        versions.version_rank
    from comments
    left join versions on comments.raw_row_key = versions.raw_row_key
    left join kept_notes on comments.note_id = kept_notes.note_id

),

final as (

    select
        raw_row_key,
        source_file,
        source_row_number,
        source_line_number,
        comment_id,
        note_id,
        case
            when quarantine_reason is not null then 'quarantined'
            when version_rank = 1 then 'kept'
            else 'superseded'
        end as row_status,
        quarantine_reason,
        quarantine_detail
    from triaged

)

select * from final
