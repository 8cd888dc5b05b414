with

source as (

    select * from {{ source('labeled_corpora', 'texts') }}

),

final as (

    select
        corpus_name || ':' || source_row_number as corpus_row_key,
        corpus_name,
        corpus_purpose,
        label_map,
        source_file,
        source_row_number,
        {{ clean_text('text') }} as content,
        {{ text_hash(clean_text('text')) }} as content_hash,
        trim(source_label) as source_label,
        load_error
    from source

)

select * from final
