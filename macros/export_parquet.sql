{#- Post-hook of every mart: a Parquet copy at $REDNOTE_EXPORTS_DIR/<mart>.parquet (default exports/) for BI tools. -#}
{% macro export_parquet() %}
    copy (select * from {{ this }})
    to '{{ env_var("REDNOTE_EXPORTS_DIR", "exports") }}/{{ this.identifier }}.parquet' (format parquet)
{% endmacro %}
