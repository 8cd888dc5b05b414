-- How good this build's labels are, on every evaluation set (the gold and written test splits, held out from
-- training, and any corpus the `evaluation_sets` var names): per set, task and label, and per set and task.
-- Tasks: emotion (rows whose gold label maps to a codebook emotion), stance (sets that carry stance) and
-- valence (the codebook valence of the predicted emotion against the gold valence; ambiguous gold is left out)
-- and identity (the opt-in identity classifier on held-out authors, set held_out_authors, against the identity
-- their own IP location gives; no rows when infer_identity is off).
with

evaluation_rows as (

    select * from {{ ref('int_classifier_evaluation_rows') }}

),

labels as (

    select * from {{ ref('int_comment_labels_selected') }}

),

emotions as (

    select * from {{ ref('codebook_emotions') }}

),

codebook_labels as (

    select
        'emotion' as task,
        emotion as label
    from emotions
    union all
    select
        'stance' as task,
        stance as label
    from {{ ref('codebook_stances') }}
    union all
    select distinct
        'valence' as task,
        valence as label
    from emotions
    union all
    select
        'identity' as task,
        identity as label
    from {{ ref('codebook_identities') }}
    where identity in ('chinese', 'foreign')

),

identity_predictions as (

    select * from {{ ref('int_comment_identities_inferred') }}
    where purpose = 'held_out_authors'

),

predicted as (

    select
        evaluation_rows.evaluation_set,
        evaluation_rows.gold_emotion,
        evaluation_rows.gold_stance,
        evaluation_rows.gold_valence,
        {{ selected_label_columns('labels', 'emotions') }}
    from evaluation_rows
    left join labels on evaluation_rows.classification_input_key = labels.classification_input_key
    left join emotions on labels.emotion = emotions.emotion

),

pairs as (

    select
        'emotion' as task,
        gold_emotion as gold_label,
        emotion as predicted_label,
        emotion_confidence as confidence,
        *
    from predicted
    where gold_emotion is not null
    union all
    select
        'stance' as task,
        gold_stance as gold_label,
        stance as predicted_label,
        stance_confidence as confidence,
        *
    from predicted
    where gold_stance is not null
    union all
    select
        'valence' as task,
        gold_valence as gold_label,
        emotion_valence as predicted_label,
        null as confidence,
        *
    from predicted
    where gold_valence in ('positive', 'negative', 'neutral')
    union all
    select
        'identity' as task,
        known_identity as gold_label,
        inferred_identity as predicted_label,
        inferred_confidence as confidence,
        purpose as evaluation_set,
        null as gold_emotion,
        null as gold_stance,
        null as gold_valence,
        null as emotion,
        null as emotion_valence,
        null as stance,
        null as emotion_confidence,
        null as stance_confidence,
        'identity_classifier' as classifier_backend,
        'char_ngrams+scripts+embeddings' as classifier_model,
        classifier_version
    from identity_predictions

),

per_task as (

    select
        evaluation_set,
        task,
        count(*) as evaluated_count,
        avg(case when gold_label = predicted_label then 1.0 else 0.0 end) as accuracy,
        string_agg(distinct classifier_backend, ', ') as classifier_backend,
        string_agg(distinct classifier_model, ', ') as classifier_model,
        string_agg(distinct classifier_version, ', ') as classifier_version
    from pairs
    group by evaluation_set, task

),

per_label as (

    select
        per_task.evaluation_set,
        codebook_labels.task,
        codebook_labels.label,
        count(pairs.task) filter (where pairs.gold_label = codebook_labels.label) as gold_count,
        count(pairs.task) filter (where pairs.predicted_label = codebook_labels.label) as predicted_count,
        count(pairs.task) filter (
            where pairs.gold_label = codebook_labels.label and pairs.predicted_label = codebook_labels.label
        ) as true_positive_count
    from per_task
    inner join codebook_labels on per_task.task = codebook_labels.task
    left join pairs on per_task.evaluation_set = pairs.evaluation_set and per_task.task = pairs.task
    group by per_task.evaluation_set, codebook_labels.task, codebook_labels.label

),

label_metrics as (

    select
        *,
        {{ safe_divide('true_positive_count', 'predicted_count') }} as label_precision,
        {{ safe_divide('true_positive_count', 'gold_count') }} as recall,
        case
            when gold_count + predicted_count > 0 then 2.0 * true_positive_count / (gold_count + predicted_count)
        end as f1
    from per_label

),

-- Macro-F1 averages over the labels the set's gold labels use (a set mapped to six emotions is scored on those
-- six; predicting any other label still costs recall). Cohen's kappa: (observed agreement - chance agreement)
-- / (1 - chance agreement), where chance agreement sums, over labels, the product of the gold and the
-- predicted share of that label.
task_summary as (

    select
        label_metrics.evaluation_set,
        label_metrics.task,
        -- Floating-point aggregates take their rows sorted, so that the result does not depend on row order.
        avg(label_metrics.f1 order by label_metrics.f1) filter (where label_metrics.gold_count > 0) as macro_f1,
        sum(label_metrics.gold_count::double * label_metrics.predicted_count)
        / (any_value(per_task.evaluated_count)::double ^ 2) as chance_agreement
    from label_metrics
    inner join per_task
        on label_metrics.evaluation_set = per_task.evaluation_set and label_metrics.task = per_task.task
    group by label_metrics.evaluation_set, label_metrics.task

),

-- Expected calibration error: over ten equal-width confidence bins, the gap between the bin's accuracy and its
-- mean confidence, weighted by the bin's share of rows.
confidence_bins as (

    select
        evaluation_set,
        task,
        least(floor(confidence * 10), 9) as confidence_bin,
        count(*) as bin_count,
        avg(case when gold_label = predicted_label then 1.0 else 0.0 end) as bin_accuracy,
        avg(confidence order by confidence) as bin_confidence
    from pairs
    where confidence is not null
    group by evaluation_set, task, confidence_bin

),

calibration as (

    select
        evaluation_set,
        task,
        sum(bin_count * abs(bin_accuracy - bin_confidence) order by confidence_bin) / sum(bin_count)
            as expected_calibration_error
    from confidence_bins
    group by evaluation_set, task

),

final as (

    select
        label_metrics.evaluation_set || ':' || label_metrics.task || ':' || label_metrics.label as agreement_key,
        label_metrics.evaluation_set,
        label_metrics.task,
        label_metrics.label,
        label_metrics.label_precision as precision,
        label_metrics.recall,
        label_metrics.f1,
        label_metrics.gold_count,
        label_metrics.predicted_count,
        per_task.accuracy,
        task_summary.macro_f1,
        (per_task.accuracy - task_summary.chance_agreement) / nullif(1 - task_summary.chance_agreement, 0)
            as cohens_kappa,
        calibration.expected_calibration_error,
        per_task.evaluated_count,
        per_task.classifier_backend,
        per_task.classifier_model,
        per_task.classifier_version
    from label_metrics
    inner join per_task
        on label_metrics.evaluation_set = per_task.evaluation_set and label_metrics.task = per_task.task
    inner join task_summary
        on label_metrics.evaluation_set = task_summary.evaluation_set and label_metrics.task = task_summary.task
    left join calibration
        on label_metrics.evaluation_set = calibration.evaluation_set and label_metrics.task = calibration.task

)

select * from final
