with

source as (

    select * from {{ source('mediacrawler', 'comments') }}

),

renamed as (

    select
        {{ raw_lineage_columns(from_raw=true) }},
        nullif(trim(comment_id), '') as comment_id,
        nullif(trim(note_id), '') as note_id,
        -- The comment directly replied to: "0" before 2026-07, "" after, for a top-level comment.
        nullif(nullif(trim(parent_comment_id), ''), '0') as parent_comment_id,
        {{ clean_text('content') }} as content,
        {{ author_key('user_id', 'creator_hash') }} as author_key,
        nullif(nullif(trim(ip_location), ''), 'None') as ip_location,
        {{ epoch_to_timestamp('create_time') }} as commented_at,
        {{ parse_count('like_count') }} as like_count,
        {{ parse_count('sub_comment_count') }} as sub_comment_count,
        nullif(trim(pictures), '') as pictures,
        try_cast(try_cast(nullif(trim(last_modify_ts), '') as double) as bigint) as last_modify_ts,
        load_error,
        raw_record,
        create_time as raw_create_time
    from source

),

validated as (

    select
        *,
        case
            {{ load_error_reason() }}
            when comment_id is null then 'missing_comment_id'
            when note_id is null then 'missing_note_id'
            when commented_at is null then 'unparseable_timestamp'
            when content is null then 'empty_content'
        end as row_quarantine_reason
    from renamed

),

final as (

    select
        {{ raw_lineage_columns() }},
        comment_id,
        note_id,
        parent_comment_id,
        parent_comment_id is null as is_top_level,
        content,
        author_key,
        ip_location,
        commented_at,
        like_count,
        sub_comment_count,
        pictures,
        last_modify_ts,
        row_quarantine_reason,
        case
            when
                row_quarantine_reason = 'unparseable_timestamp'
                then 'create_time = ' || coalesce(raw_create_time, 'NULL')
            else coalesce(load_error, raw_record)
        end as row_quarantine_detail
    from validated

)

select * from final
