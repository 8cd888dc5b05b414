{#- One count(*) per value of `column`: names_by_value maps each value to the name of its count column. -#}
{% macro count_each_value(column, names_by_value) -%}
    {%- for value, name in names_by_value.items() %}
        count(*) filter (where {{ column }} = '{{ value }}') as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
