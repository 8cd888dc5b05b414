{#- Fails the run at once, in one line, when raw_dir is missing or holds no MediaCrawler export. -#}
{% macro check_raw_dir() %}
    {% if execute and flags.WHICH in ('run', 'build') %}
        {% set raw_dir = var('raw_dir') %}
        {% set found = run_query(
            "select count(*) from glob('" ~ raw_dir ~ "/**/*_contents_*') union all "
            ~ "select count(*) from glob('" ~ raw_dir ~ "/**/*_comments_*')"
        ) %}
        {% if found.rows[0][0] + found.rows[1][0] == 0 %}
            {{ exceptions.raise_compiler_error(
                "raw_dir '" ~ raw_dir ~ "' is missing or holds no MediaCrawler export (*_contents_*, *_comments_*)"
            ) }}
        {% endif %}
    {% endif %}
    -- The source plugin loads both raw tables in parallel threads; creating their schema up front avoids a
    -- write-write conflict between them.
    create schema if not exists raw_mediacrawler
{% endmacro %}
