{#- Where a staged row came from, first in both staging models: its key (built from the raw table's lineage columns
    when `from_raw`, else passed on) and the raw table's lineage columns (rednote_affect.ingest.META_COLUMNS). -#}
{% macro raw_lineage_columns(from_raw=false) -%}
    {% if from_raw %}source_file || ':' || source_row_number as raw_row_key{% else %}raw_row_key{% endif %},
        source_file,
        source_format,
        source_row_number,
        source_line_number,
        schema_era
{%- endmacro %}
