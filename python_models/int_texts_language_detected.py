"""The language of every post and comment text: zh, en, mixed, other or none (no letters, e.g. emoji only)."""

from rednote_affect.language import detect_new_languages


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="text_hash")
    texts = dbt.ref("int_texts_to_detect").to_arrow_table()
    stored = set()
    if dbt.is_incremental:
        stored = {row[0] for row in session.execute(f"select text_hash from {dbt.this}").fetchall()}
    return detect_new_languages(texts, stored)
