{#- A boolean var as the models read it: true from YAML, or "true" / "1" / "yes" from --vars (the same rule as
    rednote_affect.inference.is_enabled, which the Python models use). -#}
{% macro var_is_true(name) -%}
    {{ return((var(name) | string | trim | lower) in ('true', '1', 'yes')) }}
{%- endmacro %}
