-- One row per note: the latest crawl of each note_id that passed validation.
with

notes as (

    select * from {{ ref('stg_mediacrawler__notes') }}

),

triaged as (

    select raw_row_key from {{ ref('int_note_rows_triaged') }}
    where row_status = 'kept'

),

identities as (

    select * from {{ ref('int_crawl_records_identified') }}
    where record_kind = 'note'

),

final as (

    select
        notes.note_id,
        notes.note_type,
        notes.title,
        notes.description,
        concat_ws(' ', notes.title, notes.description) as post_text,
        {{ text_hash("concat_ws(' ', notes.title, notes.description)") }} as post_text_hash,
        notes.author_key,
        notes.ip_location,
        identities.identity as author_identity,
        identities.identity_source as author_identity_source,
        notes.published_at,
        notes.last_updated_at,
        notes.liked_count,
        notes.collected_count,
        notes.comment_count as reported_comment_count,
        notes.share_count,
        notes.tag_list,
        notes.note_url,
        notes.source_keyword,
        notes.schema_era,
        notes.source_file,
        notes.source_row_number
    from notes
    inner join triaged on notes.raw_row_key = triaged.raw_row_key
    inner join identities on notes.note_id = identities.record_id

)

select * from final
