-- What the default heads classifier learns from: the gold seed's train split, the written corpus's train split
-- (unless `use_written_corpus` is false), and any user corpus named by the `training_sets` var (emotion only: those
-- corpora carry no stance).
with

gold as (

    select * from {{ ref('int_gold_comments_contextualized') }}
    where split = 'train'

),

written as (

    select * from {{ ref('stg_training__written_comment_labels') }}
    where split = 'train' and {{ 'true' if var_is_true('use_written_corpus') else 'false' }}

),

user_corpora as (

    select * from {{ ref('int_labeled_corpora_mapped') }}
    where corpus_purpose = 'training' and exclusion_reason is null and emotion is not null

),

labeled_trains as (

    select
        'gold' as training_corpus,
        *
    from gold
    union all by name
    select
        'written' as training_corpus,
        *
    from written

),

final as (

    select
        training_corpus,
        content,
        content_hash,
        post_text,
        post_text_hash,
        emotion,
        stance
    from labeled_trains
    union all
    select
        corpus_name as training_corpus,
        content,
        content_hash,
        '' as post_text,
        {{ text_hash("''") }} as post_text_hash,
        emotion,
        null as stance
    from user_corpora

)

select * from final
