{#- One row per distinct text (text_hash, text) of the CTEs named: `columns` lists (cte, hash column, text column),
    one entry per text column to read. Texts that are NULL are left out. -#}
{% macro distinct_texts(columns) -%}
    select
        text_hash,
        any_value(text) as text
    from (
        {%- for cte, hash_column, text_column in columns %}
        select
            {{ hash_column }} as text_hash,
            {{ text_column }} as text
        from {{ cte }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
    where text is not null
    group by text_hash
{%- endmacro %}
