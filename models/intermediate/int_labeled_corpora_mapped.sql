-- The configured labeled corpora in the codebook's terms: each record's label through its label map to a
-- codebook emotion (where one matches) and a valence (for every label). A record that cannot be used says why.
with

texts as (

    select * from {{ ref('stg_labeled_corpora__texts') }}

),

label_maps as (

    select * from {{ ref('corpus_label_maps') }}

),

final as (

    select
        texts.corpus_row_key,
        texts.corpus_name,
        texts.corpus_purpose,
        texts.source_file,
        texts.source_row_number,
        texts.content,
        texts.content_hash,
        texts.source_label,
        label_maps.emotion,
        label_maps.valence,
        case
            when texts.load_error is not null then split_part(texts.load_error, ':', 1)
            when label_maps.source_label is null then 'unmapped_label'
        end as exclusion_reason
    from texts
    left join label_maps
        on texts.label_map = label_maps.label_map and texts.source_label = label_maps.source_label

)

select * from final
