with

reconciled as (

    select * from {{ ref('int_crawl_files_reconciled') }}

),

final as (

    select
        reconciled_file_key,
        entity,
        source_file,
        raw_rows,
        kept_rows,
        superseded_rows,
        quarantined_rows
    from reconciled

)

select * from final
