-- The label of each classifier input: its most recently selected row in the label cache, i.e. the labels of the
-- classifier the last build was configured with.
with

labels as (

    select * from {{ ref('int_comment_labels_predicted') }}

),

final as (

    select *
    from labels
    qualify row_number() over (
        partition by classification_input_key
        order by selected_at desc, classification_key desc
    ) = 1

)

select * from final
