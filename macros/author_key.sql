{#-
  Pseudonymous author key: MediaCrawler's own creator_hash (sha256 of the user id, first 16 hex) where the export
  has it, else the same hash computed from user_id, so that both schema eras join on one key.
-#}
{% macro author_key(user_id_column, creator_hash_column) -%}
    coalesce(
        nullif(lower(trim({{ creator_hash_column }})), ''),
        case when nullif(trim({{ user_id_column }}), '') is not null then left(sha256(trim({{ user_id_column }})), 16) end
    )
{%- endmacro %}
