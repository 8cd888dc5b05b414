-- One row per comment: the latest crawl of each comment_id that passed validation and sits under a kept note,
-- with its author's identity and where it came from (int_crawl_records_identified).
-- This is the table to check against the raw files (source_file, source_row_number point at the record kept).
with

comments as (

    select * from {{ ref('stg_mediacrawler__comments') }}

),

triaged as (

    select raw_row_key from {{ ref('int_comment_rows_triaged') }}
    where row_status = 'kept'

),

identities as (

    select * from {{ ref('int_crawl_records_identified') }}
    where record_kind = 'comment'

),

final as (

    select
        comments.comment_id,
        comments.note_id,
        comments.parent_comment_id,
        comments.is_top_level,
        comments.content,
        {{ text_hash('comments.content') }} as content_hash,
        comments.like_count,
        comments.sub_comment_count,
        comments.author_key,
        comments.ip_location,
        identities.identity,
        identities.identity_source,
        identities.identity_ip_location,
        comments.commented_at,
        comments.schema_era,
        comments.source_file,
        comments.source_row_number
    from comments
    inner join triaged on comments.raw_row_key = triaged.raw_row_key
    inner join identities on comments.comment_id = identities.record_id

)

select * from final
