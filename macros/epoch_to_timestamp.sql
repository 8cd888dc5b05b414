{#-
  MediaCrawler times are millisecond epochs as text. Some exports (and hand edits) hold seconds instead; a value below
  1e11 is read as seconds (1e11 ms is 1973, 1e11 s is year 5138). Microseconds (>= 1e14) are scaled down too.
  Returns a UTC timestamp (without time zone), or NULL when the text is no epoch or falls outside 2000-2100.
-#}
{% macro epoch_to_timestamp(column) -%}
    {%- set epoch = "try_cast(try_cast(nullif(trim(" ~ column ~ "), '') as double) as bigint)" -%}
    {%- set epoch_ms -%}
        case
            when {{ epoch }} < 100000000000 then {{ epoch }} * 1000
            when {{ epoch }} < 100000000000000 then {{ epoch }}
            else {{ epoch }} // 1000
        end
    {%- endset -%}
    case
        when {{ epoch_ms }} between 946684800000 and 4102444800000
            then make_timestamp(({{ epoch_ms }}) * 1000)
    end
{%- endmacro %}
