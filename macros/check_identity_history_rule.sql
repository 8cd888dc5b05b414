{#-
  on-run-start: the identity_history_rule var names a rule int_crawl_records_identified implements, else the run
  stops at once with one line.
-#}
{% macro check_identity_history_rule() -%}
    {%- set rules = ['latest_before_else_nearest_after', 'none'] -%}
    {%- set rule = var('identity_history_rule') -%}
    {%- if execute and rule not in rules -%}
        {{ exceptions.raise_compiler_error(
            "identity_history_rule must be one of " ~ rules | join(', ') ~ ", not '" ~ rule ~ "'") }}
    {%- endif -%}
    select 1
{%- endmacro %}
