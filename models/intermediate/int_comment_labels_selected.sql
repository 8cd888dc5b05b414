-- The label of each classifier input: its most recently selected row in the label cache (the var
-- current_label_order, which int_comment_labels_predicted reads too), i.e. the labels of the classifier the
-- last build was configured with.
with

labels as (

    select * from {{ ref('int_comment_labels_predicted') }}

),

final as (

    select
        classification_input_key,
        classification_key,
        emotion,
        emotion_confidence,
        stance,
        stance_confidence,
        classification_status,
        classification_error,
        classifier_backend,
        classifier_model,
        classifier_version,
        classified_at,
        selected_at
    from labels
    qualify row_number() over (partition by classification_input_key order by {{ var('current_label_order') }}) = 1

)

select * from final
