import re

import pytest

from rednote_affect.ingest import META_COLUMNS, RawDirError, check_raw_dir, find_export_files, read_exports
from rednote_affect.mediacrawler import COMMENT_COLUMNS, NOTE_COLUMNS, creator_hash, write_export


def test_reads_every_format_and_era(fixture_crawl):
    comments = read_exports(fixture_crawl, "comments").to_pandas()
    per_file = comments.groupby("source_file").size().to_dict()
    assert per_file == {
        "2025/search_comments_2025-01-20.csv": 10,
        "2025/search_comments_2025-01-22.csv": 2,
        "2026/search_comments_2026-08-01.jsonl": 3,
        "2026/search_comments_2026-08-02.json": 1,
        "broken/search_comments_latin1.csv": 1,
    }
    eras = comments.groupby("source_format")["schema_era"].unique().to_dict()
    assert set(eras["json"]) == {"2026"} and set(eras["jsonl"]) == {"2026"}
    notes = read_exports(fixture_crawl, "notes").to_pandas()
    assert sorted(notes["schema_era"]) == ["2025", "2025", "2026"]
    # JSON lists become the comma-joined strings CSV exports hold.
    assert notes.loc[notes["schema_era"] == "2026", "image_list"].item() == "http://img/c.jpg"


def test_quoted_newlines_and_bom_survive(fixture_crawl):
    comments = read_exports(fixture_crawl, "comments").to_pandas()
    reply = comments[comments["comment_id"] == "c00000000000000000000002"].iloc[0]
    assert reply["content"] == "Thank you all!!\nso warm here ❤️"
    assert reply["source_line_number"] == 3  # the header is line 1, the first record line 2
    assert "comment_id" in comments.columns and not any(c.startswith("\ufeff") for c in comments.columns)


def test_malformed_records_are_kept_with_their_error(fixture_crawl):
    comments = read_exports(fixture_crawl, "comments").to_pandas()
    errors = comments.dropna(subset=["load_error"]).set_index("source_file")["load_error"].to_dict()
    assert errors["2025/search_comments_2025-01-20.csv"] == "malformed csv row: 4 fields, expected 13"
    assert errors["2026/search_comments_2026-08-01.jsonl"].startswith("malformed json line")
    assert errors["broken/search_comments_latin1.csv"].startswith("unreadable file: 'utf-8' codec")


def test_stray_quote_and_long_field(tmp_path):
    rows = [
        {"comment_id": f"c{i}", "create_time": "1737331200000", "note_id": "n1", "content": text,
         "parent_comment_id": "0", "last_modify_ts": "1", "like_count": "1"}
        for i, text in enumerate(["fine", "x" * 20000, "also fine"])
    ]
    path = tmp_path / "search_comments_x.csv"
    write_export(rows, path, "comments", "2025")
    # A stray quote opening a field swallows the following lines into one record: too many fields.
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines.insert(2, 'c9,1737331200000,,n1,"broken quote,u,n,a,0,,0,1,1\n')
    path.write_text("".join(lines), encoding="utf-8-sig")
    table = read_exports(tmp_path, "comments").to_pandas()
    # The broken line alone is quarantined; the records it would have swallowed are read again.
    assert table["comment_id"].fillna("-").tolist() == ["c0", "-", "c1", "c2"]
    broken = table.iloc[1]
    assert broken["load_error"] == "malformed csv row: 5 fields, expected 13"
    assert broken["source_line_number"] == 3 and broken["raw_record"].startswith("c9,")
    assert table.loc[2, "content"] == "x" * 20000
    assert table["source_row_number"].tolist() == [1, 2, 3, 4]


def test_missing_or_empty_raw_dir_fails_in_one_line(tmp_path):
    with pytest.raises(RawDirError, match="does not exist") as missing:
        check_raw_dir(tmp_path / "nowhere")
    assert "\n" not in str(missing.value) and "nowhere" in str(missing.value)
    (tmp_path / "readme.txt").write_text("not an export")
    with pytest.raises(RawDirError, match="holds no MediaCrawler export"):
        read_exports(tmp_path, "comments")


def test_line_separator_inside_text_is_not_a_record_break(tmp_path):
    rows = [{"comment_id": "c1", "create_time": "1", "note_id": "n1", "content": "a\u2028b\rc",
             "parent_comment_id": "0", "last_modify_ts": "1", "like_count": "1"}]
    write_export(rows, tmp_path / "search_comments_x.csv", "comments", "2025")
    table = read_exports(tmp_path, "comments").to_pandas()
    assert table["content"].tolist() == ["a\u2028b\rc"] and table["load_error"].isna().all()


def test_file_patterns(tmp_path):
    for name in ["a_contents_1.csv", "a_comments_1.jsonl", "sub/b_comments_2.json", "a_comments_1.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert [p.name for p in find_export_files(tmp_path, "comments")] == ["a_comments_1.jsonl", "b_comments_2.json"]
    assert [p.name for p in find_export_files(tmp_path, "notes")] == ["a_contents_1.csv"]


def test_creator_hash_is_sha256_prefix():
    assert creator_hash("5f00aa") == "69fe66601bf3ad0c"


def test_on_run_start_raw_tables_match_the_plugin(repo):
    """macros/check_raw_dir.sql creates the raw tables up front; its columns must be the plugin's."""
    macro = (repo / "macros" / "check_raw_dir.sql").read_text()

    def listed(name: str) -> list[str]:
        block = re.search(r"set " + name + r" = \[(.*?)\]", macro, re.S).group(1)
        return re.findall(r"'([a-z_]+)'", block)

    assert listed("note_columns") == NOTE_COLUMNS
    assert listed("comment_columns") == COMMENT_COLUMNS
    lineage = re.search(r"set lineage_columns %\}(.*?)\{%", macro, re.S).group(1)
    assert re.findall(r"([a-z_]+) (?:varchar|bigint)", lineage) == META_COLUMNS
