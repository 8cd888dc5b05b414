with

reconciled as (

    select * from {{ ref('int_crawl_files_reconciled') }}

),

final as (

    select
        reconciled_file_key,
        entity,
        source_file,
        raw_count,
        kept_count,
        superseded_count,
        quarantined_count
    from reconciled

)

select * from final
