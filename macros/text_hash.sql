{#- The cache key of a text: first 32 hex of sha256 over the cleaned text. -#}
{% macro text_hash(column) -%}
    left(sha256(coalesce({{ column }}, '')), 32)
{%- endmacro %}
