with

source as (

    select * from {{ source('mediacrawler', 'notes') }}

),

renamed as (

    select
        {{ raw_lineage_columns(from_raw=true) }},
        nullif(trim(note_id), '') as note_id,
        nullif(lower(trim(type)), '') as note_type,
        -- MediaCrawler fills an untitled note's title with desc[:255]: no title, so the text is not doubled.
        case
            when {{ clean_text('title') }} = {{ clean_text('left("desc", 255)') }} then null
            else {{ clean_text('title') }}
        end as title,
        {{ clean_text('"desc"') }} as description,
        {{ author_key('user_id', 'creator_hash') }} as author_key,
        nullif(nullif(trim(ip_location), ''), 'None') as ip_location,
        {{ epoch_to_timestamp('"time"') }} as published_at,
        {{ epoch_to_timestamp('last_update_time') }} as last_updated_at,
        {{ parse_count('liked_count') }} as liked_count,
        {{ parse_count('collected_count') }} as collected_count,
        {{ parse_count('comment_count') }} as comment_count,
        {{ parse_count('share_count') }} as share_count,
        nullif(trim(tag_list), '') as tag_list,
        nullif(trim(note_url), '') as note_url,
        nullif(trim(source_keyword), '') as source_keyword,
        try_cast(try_cast(nullif(trim(last_modify_ts), '') as double) as bigint) as last_modify_ts,
        load_error,
        raw_record,
        time as raw_time
    from source

),

validated as (

    select
        *,
        case
            {{ load_error_reason() }}
            when note_id is null then 'missing_note_id'
            when load_error like 'note without time%' then 'note_without_time'
            when published_at is null then 'unparseable_timestamp'
            when coalesce(title, description) is null then 'empty_content'
        end as row_quarantine_reason
    from renamed

),

final as (

    select
        {{ raw_lineage_columns() }},
        note_id,
        note_type,
        title,
        description,
        author_key,
        ip_location,
        published_at,
        last_updated_at,
        liked_count,
        collected_count,
        comment_count,
        share_count,
        tag_list,
        note_url,
        source_keyword,
        last_modify_ts,
        row_quarantine_reason,
        case
            when row_quarantine_reason = 'unparseable_timestamp' then 'time = ' || coalesce(raw_time, 'NULL')
            else coalesce(load_error, raw_record)
        end as row_quarantine_detail
    from validated

)

select * from final
