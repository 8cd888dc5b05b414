{#-
  Cleans crawled text: HTML entities unescaped (named ones MediaCrawler meets, and &amp; last so that "&amp;lt;"
  becomes "&lt;" as the author wrote it), zero-width characters dropped, every run of whitespace (including the
  ideographic space and no-break space) collapsed to one space, ends trimmed. Empty text becomes NULL.
  RedNote's hashtag markup "#美食[话题]#" becomes "#美食": the suffix is markup, not words, and it was a fifth
  of the tokens of a typical post (measured on the scale generator's posts).
-#}
{% macro clean_text(column) -%}
    nullif(
        trim(
            regexp_replace(
                replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
                    coalesce({{ column }}, ''), '[话题]#', ''),
                    '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#34;', '"'), '&#39;', ''''),
                    '&#x27;', ''''), '&apos;', ''''), '&nbsp;', ' '), '&amp;', '&'),
                '[\s\x{3000}\x{00a0}\x{200b}\x{200c}\x{200d}\x{feff}]+', ' ', 'g'
            )
        ),
        ''
    )
{%- endmacro %}
