{#-
  MediaCrawler writes counts as display strings: "3642", "1,234", "10+", "1.2万", "1万+", "3亿", "None" or "".
  Returns a bigint, or NULL where the count is unknown. "10+" and "1万+" are lower bounds and become 10 and 10000.
-#}
{% macro parse_count(column) -%}
    {%- set value = "replace(lower(trim(" ~ column ~ ")), ',', '')" -%}
    {%- set number = "try_cast(regexp_extract(" ~ value ~ ", '^[0-9]+(\\.[0-9]+)?') as double)" -%}
    case
        when regexp_full_match({{ value }}, '[0-9]+(\.[0-9]+)?\+?') then cast(floor({{ number }}) as bigint)
        when regexp_full_match({{ value }}, '[0-9]+(\.[0-9]+)?万\+?') then cast(round({{ number }} * 10000) as bigint)
        when regexp_full_match({{ value }}, '[0-9]+(\.[0-9]+)?亿\+?') then cast(round({{ number }} * 100000000) as bigint)
        when regexp_full_match({{ value }}, '[0-9]+(\.[0-9]+)?[kw]\+?')
            then cast(round({{ number }} * (case when right(rtrim({{ value }}, '+'), 1) = 'k' then 1000 else 10000 end)) as bigint)
    end
{%- endmacro %}
