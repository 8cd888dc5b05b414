{#- The quarantine reason of a raw row the reader could not read (its load_error), for both staging models; they
    add the reasons of their own entity after it. -#}
{% macro load_error_reason() -%}
    when load_error like 'unreadable file%' then 'unreadable_file'
    when load_error like 'malformed csv row%' then 'malformed_csv_row'
    when load_error like 'malformed json%' then 'malformed_json_record'
    when load_error like 'unsupported capture%' then 'unsupported_capture'
{%- endmacro %}
