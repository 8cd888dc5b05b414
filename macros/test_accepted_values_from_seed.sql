{#- Generic test: every value of the column is a label of a codebook seed (plus any extra_values). -#}
{% test accepted_values_from_seed(model, column_name, seed, column, extra_values=[]) %}
    with labels as (
        select {{ column }} as label from {{ ref(seed) }}
        {% for value in extra_values %}
            union all select '{{ value }}'
        {% endfor %}
    )
    select {{ column_name }} as unexpected_value, count(*) as row_count
    from {{ model }}
    where {{ column_name }} is not null
        and {{ column_name }} not in (select label from labels)
    group by 1
{% endtest %}
