-- What every build measures its labels on: the gold test split, the written corpus's test split (unless
-- `use_written_corpus` is false), and every corpus named by the `evaluation_sets` var, keyed like the inputs the
-- classifier labels. None of these rows is in int_classifier_training_rows.
with

gold as (

    select * from {{ ref('int_gold_comments_contextualized') }}
    where split = 'test'

),

written as (

    select * from {{ ref('stg_training__written_comment_labels') }}
    where split = 'test' and {{ 'true' if var_is_true('use_written_corpus') else 'false' }}

),

external_corpora as (

    select * from {{ ref('int_labeled_corpora_mapped') }}
    where corpus_purpose = 'evaluation' and exclusion_reason is null

),

emotions as (

    select * from {{ ref('codebook_emotions') }}

),

-- The gold and written test splits carry the same columns, so they are stacked as they are.
labeled_tests as (

    select
        'gold_test' as evaluation_set,
        *
    from gold
    union all by name
    select
        'written_test' as evaluation_set,
        {{ text_hash("content_hash || ':' || post_text_hash") }} as classification_input_key,
        *
    from written

),

unioned as (

    select
        evaluation_set,
        classification_input_key,
        content,
        content_hash,
        post_text,
        post_text_hash,
        emotion as gold_emotion,
        stance as gold_stance,
        null as gold_valence
    from labeled_tests
    union all
    select
        corpus_name as evaluation_set,
        {{ text_hash("content_hash || ':' || " ~ text_hash("''")) }} as classification_input_key,
        content,
        content_hash,
        '' as post_text,
        {{ text_hash("''") }} as post_text_hash,
        emotion as gold_emotion,
        null as gold_stance,
        valence as gold_valence
    from external_corpora

),

final as (

    select
        unioned.evaluation_set,
        unioned.classification_input_key,
        unioned.content,
        unioned.content_hash,
        unioned.post_text,
        unioned.post_text_hash,
        unioned.gold_emotion,
        unioned.gold_stance,
        -- A codebook label's valence is the codebook's; a corpus label's is its label map's.
        coalesce(unioned.gold_valence, emotions.valence) as gold_valence
    from unioned
    left join emotions on unioned.gold_emotion = emotions.emotion

)

select * from final
