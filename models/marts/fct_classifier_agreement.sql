-- How good this build's labels are: the configured classifier against the gold test split (held out from
-- training), per label and overall.
with

gold as (

    select * from {{ ref('int_gold_comments_contextualised') }}
    where split = 'test'

),

labels as (

    select * from {{ ref('int_comment_labels_selected') }}

),

codebook_labels as (

    select
        'emotion' as task,
        emotion as label
    from {{ ref('codebook_emotions') }}
    union all
    select
        'stance' as task,
        stance as label
    from {{ ref('codebook_stances') }}

),

predicted as (

    select
        gold.emotion as gold_emotion,
        gold.stance as gold_stance,
        coalesce(labels.emotion, 'unclassified') as predicted_emotion,
        coalesce(labels.stance, 'unclassified') as predicted_stance,
        labels.classifier_backend,
        labels.classifier_model,
        labels.classifier_version
    from gold
    left join labels on gold.classification_input_key = labels.classification_input_key

),

pairs as (

    select
        'emotion' as task,
        gold_emotion as gold_label,
        predicted_emotion as predicted_label,
        *
    from predicted
    union all
    select
        'stance' as task,
        gold_stance as gold_label,
        predicted_stance as predicted_label,
        *
    from predicted

),

per_label as (

    select
        codebook_labels.task,
        codebook_labels.label,
        count(*) filter (where pairs.gold_label = codebook_labels.label) as support,
        count(*) filter (where pairs.predicted_label = codebook_labels.label) as predicted_count,
        count(*) filter (
            where pairs.gold_label = codebook_labels.label and pairs.predicted_label = codebook_labels.label
        ) as true_positive_count
    from codebook_labels
    left join pairs on codebook_labels.task = pairs.task
    group by codebook_labels.task, codebook_labels.label

),

label_metrics as (

    select
        *,
        {{ safe_divide('true_positive_count', 'predicted_count') }} as label_precision,
        {{ safe_divide('true_positive_count', 'support') }} as recall,
        case
            when support + predicted_count > 0 then 2.0 * true_positive_count / (support + predicted_count)
        end as f1
    from per_label

),

per_task as (

    select
        task,
        count(*) as evaluated_count,
        avg(case when gold_label = predicted_label then 1.0 else 0.0 end) as accuracy,
        string_agg(distinct classifier_backend, ', ') as classifier_backend,
        string_agg(distinct classifier_model, ', ') as classifier_model,
        string_agg(distinct classifier_version, ', ') as classifier_version
    from pairs
    group by task

),

-- Cohen's kappa: (observed agreement - chance agreement) / (1 - chance agreement), where chance agreement sums,
-- over labels, the product of the gold and the predicted share of that label.
task_summary as (

    select
        label_metrics.task,
        avg(label_metrics.f1) filter (where label_metrics.support > 0 or label_metrics.predicted_count > 0)
            as macro_f1,
        sum(label_metrics.support::double * label_metrics.predicted_count)
        / (any_value(per_task.evaluated_count)::double ^ 2) as chance_agreement
    from label_metrics
    inner join per_task on label_metrics.task = per_task.task
    group by label_metrics.task

),

final as (

    select
        label_metrics.task || ':' || label_metrics.label as agreement_key,
        label_metrics.task,
        label_metrics.label,
        label_metrics.label_precision as precision,
        label_metrics.recall,
        label_metrics.f1,
        label_metrics.support,
        label_metrics.predicted_count,
        per_task.accuracy,
        task_summary.macro_f1,
        (per_task.accuracy - task_summary.chance_agreement) / nullif(1 - task_summary.chance_agreement, 0)
            as cohens_kappa,
        per_task.evaluated_count,
        per_task.classifier_backend,
        per_task.classifier_model,
        per_task.classifier_version
    from label_metrics
    inner join per_task on label_metrics.task = per_task.task
    inner join task_summary on label_metrics.task = task_summary.task

)

select * from final
