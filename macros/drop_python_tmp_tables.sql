{#- Incremental Python models leave <model>__dbt_tmp<timestamp> tables behind; drop them at the end of a run. -#}
{% macro drop_python_tmp_tables() %}
    {% if execute %}
        {% set leftovers = run_query(
            "select table_schema, table_name from information_schema.tables"
            ~ " where table_catalog = current_database() and table_name like '%\\_\\_dbt\\_tmp%' escape '\\'"
        ) %}
        {% for row in leftovers.rows %}
            {% do run_query('drop table if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"') %}
        {% endfor %}
    {% endif %}
{% endmacro %}
