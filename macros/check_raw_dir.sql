{#-
  on-run-start: fails the run at once, in one line, when raw_dir is missing or holds no export, by the reader's
  own rule (rednote_affect.ingest.export_format, through the function the source plugin registers); then makes sure the raw schema and tables exist (empty, all text) before any node runs. The source plugin
  replaces the tables with the crawl when a staging view is built; creating them up front lets the two plugin
  loads run in parallel threads without a schema write conflict, and lets unit tests of the staging views read
  the source's columns on a fresh warehouse. The columns are the reader's (rednote_affect.ingest.raw_schema,
  through rednote_raw_table_columns): the macro has no list of its own.
-#}
{% macro check_raw_dir() %}
    {% if execute and flags.WHICH in ('run', 'build') %}
        {% set raw_dir = var('raw_dir') %}
        {% set problem = run_query(
            "select rednote_raw_dir_problem('" ~ (raw_dir | string | replace("'", "''")) ~ "')"
        ).rows[0][0] %}
        {% if problem %}
            {{ exceptions.raise_compiler_error(problem) }}
        {% endif %}
    {% endif %}
    {% if execute %}
        {% set note_columns = run_query("select rednote_raw_table_columns('notes')").rows[0][0] %}
        {% set comment_columns = run_query("select rednote_raw_table_columns('comments')").rows[0][0] %}
        create schema if not exists raw_mediacrawler;
        create table if not exists raw_mediacrawler.notes ({{ note_columns }});
        create table if not exists raw_mediacrawler.comments ({{ comment_columns }})
    {% endif %}
{% endmacro %}
