{#-
  on-run-start: fails the run at once, in one line, when raw_dir is missing or holds no export, by the reader's
  own rule (rednote_affect.ingest.export_format, through the function the source plugin registers); then makes sure the raw schema and tables exist (empty, all text) before any node runs. The source plugin
  replaces the tables with the crawl when a staging view is built; creating them up front lets the two plugin
  loads run in parallel threads without a schema write conflict, and lets unit tests of the staging views read
  the source's columns on a fresh warehouse. tests/pytest/test_ingest.py checks these column lists against the
  plugin's.
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
    {% set note_columns = [
        'note_id', 'type', 'title', 'desc', 'video_url', 'time', 'last_update_time', 'user_id', 'nickname',
        'avatar', 'liked_count', 'collected_count', 'comment_count', 'share_count', 'ip_location', 'image_list',
        'tag_list', 'last_modify_ts', 'note_url', 'source_keyword', 'xsec_token', 'creator_hash'] %}
    {% set comment_columns = [
        'comment_id', 'create_time', 'ip_location', 'note_id', 'content', 'user_id', 'nickname', 'avatar',
        'sub_comment_count', 'pictures', 'parent_comment_id', 'last_modify_ts', 'like_count', 'creator_hash'] %}
    {% set lineage_columns %}
        source_file varchar, source_format varchar, source_row_number bigint, source_line_number bigint,
        schema_era varchar, load_error varchar, raw_record varchar
    {% endset %}
    create schema if not exists raw_mediacrawler;
    create table if not exists raw_mediacrawler.notes (
        {% for column in note_columns %}"{{ column }}" varchar, {% endfor %}{{ lineage_columns }}
    );
    create table if not exists raw_mediacrawler.comments (
        {% for column in comment_columns %}"{{ column }}" varchar, {% endfor %}{{ lineage_columns }}
    )
{% endmacro %}
