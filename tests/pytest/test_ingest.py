import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from rednote_affect.ingest import (
    META_COLUMNS,
    RawDirError,
    check_raw_dir,
    export_format,
    find_export_files,
    raw_dir_problem,
    read_exports,
)
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
        {
            "comment_id": f"c{i}",
            "create_time": "1737331200000",
            "note_id": "n1",
            "content": text,
            "parent_comment_id": "0",
            "last_modify_ts": "1",
            "like_count": "1",
        }
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
    rows = [
        {
            "comment_id": "c1",
            "create_time": "1",
            "note_id": "n1",
            "content": "a\u2028b\rc",
            "parent_comment_id": "0",
            "last_modify_ts": "1",
            "like_count": "1",
        }
    ]
    write_export(rows, tmp_path / "search_comments_x.csv", "comments", "2025")
    table = read_exports(tmp_path, "comments").to_pandas()
    assert table["content"].tolist() == ["a\u2028b\rc"] and table["load_error"].isna().all()


def test_file_patterns(tmp_path):
    for name in ["a_contents_1.csv", "a_comments_1.jsonl", "sub/b_comments_2.json", "a_comments_1.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert [p.name for p in find_export_files(tmp_path, "comments")] == [
        "a_comments_1.jsonl",
        "b_comments_2.json",
    ]
    assert [p.name for p in find_export_files(tmp_path, "notes")] == ["a_contents_1.csv"]


def test_creator_hash_is_sha256_prefix():
    assert creator_hash("5f00aa") == "69fe66601bf3ad0c"


def test_on_run_start_raw_tables_are_the_readers(repo, fixture_crawl):
    """macros/check_raw_dir.sql creates the raw tables up front from the columns the plugin's function gives, which
    are those read_exports returns."""
    import duckdb

    from rednote_affect.dbt_plugin import Plugin

    macro = (repo / "macros" / "check_raw_dir.sql").read_text()
    assert "rednote_raw_table_columns('notes')" in macro and "'note_id'" not in macro
    with duckdb.connect() as connection:
        Plugin("mediacrawler", {}).configure_connection(connection)
        for entity in ("notes", "comments"):
            columns = connection.execute("select rednote_raw_table_columns(?)", [entity]).fetchone()[0]
            connection.execute(f"create table {entity} ({columns})")
            connection.register("exported", read_exports(fixture_crawl, entity))
            created = connection.execute(
                f"select column_name, column_type from (describe {entity})"
            ).fetchall()
            read = connection.execute("select column_name, column_type from (describe exported)").fetchall()
            assert created == read
            assert [name for name, _ in created] == (
                NOTE_COLUMNS if entity == "notes" else COMMENT_COLUMNS
            ) + META_COLUMNS


# --- what is an export, and the stores and captures beside MediaCrawler's files (tests/fixtures/crawl_stores) ---

REPO = Path(__file__).resolve().parents[2]
STORES = REPO / "tests" / "fixtures" / "crawl_stores"


def test_word_clouds_images_videos_and_lock_files_are_no_exports(tmp_path):
    decoys = [
        "words/search_comments_2026-07-01_word_freq.json",
        "words/search_comments_2026-07-01_word_cloud.png",
        "images/n1/search_comments_cover.json",
        "videos/n1/video.mp4",
        "~$xhs_search_20261130.xlsx",
        "._search_comments_2026-07-01.csv",
        "search_comments_2026-07-01_word_freq.json",
    ]
    for name in decoys:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    assert all(export_format(Path(name)) is None for name in decoys)
    with pytest.raises(RawDirError, match="holds no MediaCrawler export") as error:
        check_raw_dir(tmp_path)
    assert "\n" not in str(error.value)
    kinds = {
        name: export_format(Path(name))
        for name in [
            "database/sqlite_tables.db",
            "xhs_search_20261130_101500.xlsx",
            "zeeschuimer-export-x.ndjson",
            "xhs_contents.json",
            "xhs_comments.jsonl",
            "json/search_comments_2026-07-01.json",
        ]
    }
    assert kinds == {
        "database/sqlite_tables.db": ("sqlite", ("notes", "comments")),
        "xhs_search_20261130_101500.xlsx": ("xlsx", ("notes", "comments")),
        "zeeschuimer-export-x.ndjson": ("zeeschuimer", ("notes", "comments")),
        "xhs_contents.json": ("mongoexport", ("notes",)),
        "xhs_comments.jsonl": ("mongoexport", ("comments",)),
        "json/search_comments_2026-07-01.json": ("json", ("comments",)),
    }


def test_the_on_run_start_check_asks_the_reader(tmp_path):
    """The macro has no rule of its own: it calls the function the plugin registers, which is raw_dir_problem."""
    import duckdb

    from rednote_affect.dbt_plugin import Plugin

    macro = (REPO / "macros" / "check_raw_dir.sql").read_text()
    assert "rednote_raw_dir_problem(" in macro and "glob(" not in macro
    (tmp_path / "words").mkdir()
    (tmp_path / "words" / "search_comments_2026-07-01_word_freq.json").write_text("{}")
    with duckdb.connect() as connection:
        Plugin("mediacrawler", {}).configure_connection(connection)
        for raw_dir in [tmp_path, tmp_path / "nowhere", STORES]:
            answer = connection.execute("select rednote_raw_dir_problem(?)", [str(raw_dir)]).fetchone()[0]
            assert answer == raw_dir_problem(raw_dir)
    assert raw_dir_problem(STORES) == "" and "holds no MediaCrawler export" in raw_dir_problem(tmp_path)


def test_zeeschuimer_notes_in_every_shape():
    notes = read_exports(STORES, "notes").to_pandas()
    captured = notes[notes["source_file"].str.startswith("zeeschuimer/")]
    assert captured["note_id"].fillna("-").tolist() == ["z1", "z1", "z2", "z3", "z1", "z4", "-"]
    assert set(captured["source_format"]) == {"zeeschuimer"} and set(captured["schema_era"]) == {
        "zeeschuimer"
    }
    problems = [error.split(":")[0] if isinstance(error, str) else "" for error in captured["load_error"]]
    assert problems == [
        "note without time",
        "",
        "",
        "note without time",
        "",
        "note without time",
        "malformed json line",
    ]
    feed = captured.iloc[4]  # the later feed capture of z1
    assert (feed["time"], feed["ip_location"], feed["user_id"], feed["liked_count"]) == (
        "1795132800000",
        "美国",
        "u-zs-1",
        "1.2万",
    )
    assert feed["last_modify_ts"] == "1796038500000"  # last_updated, the capture's crawl time
    assert feed["tag_list"] == "火锅"  # topic tags only
    assert feed["image_list"] == "http://img/z1-1.jpg,http://img/z1-2.jpg"
    assert feed["source_keyword"] == "tiktok难民"  # from the page URL's keyword=
    assert feed["note_url"].startswith("https://www.xiaohongshu.com/explore/z1?xsec_token=XT-z1")
    post_page = captured.iloc[2]
    assert (post_page["desc"], post_page["user_id"], post_page["ip_location"], post_page["liked_count"]) == (
        "谢谢大家的欢迎，小红书真好",
        "u-zs-2",
        "广东",
        "88",
    )
    assert pd.isna(post_page["source_keyword"])
    html = captured.iloc[5]
    assert (html["user_id"], html["title"], html["liked_count"]) == ("u-zs-4", "hello from ohio", "12")
    four_cat = notes[notes["source_file"].str.startswith("4cat/")]
    assert four_cat["source_format"].tolist() == ["4cat", "4cat"]
    assert four_cat["note_id"].tolist() == ["z5", "z6"] and four_cat.iloc[0]["source_keyword"] == "熊猫"


def test_zeeschuimer_replies_are_rows_with_their_parent():
    comments = read_exports(STORES, "comments").to_pandas()
    captured = comments[comments["source_file"].str.startswith("zeeschuimer/")]
    rows = list(
        zip(
            captured["comment_id"].fillna("-"),
            captured["parent_comment_id"].fillna("-"),
            captured["ip_location"].fillna("-"),
            captured["last_modify_ts"].fillna("-"),
            strict=True,
        )
    )
    assert rows == [
        ("zc1", "", "广东", "1796034900000"),
        ("zc2", "zc1", "美国", "1796034900000"),
        ("zc3", "zc2", "广东", "1796034900000"),
        ("zc1", "", "广东", "1796038500000"),
        ("zc2", "zc1", "美国", "1796038500000"),
        ("zc4", "", "日本", "1796034900000"),
        ("-", "-", "-", "-"),
    ]
    assert captured["source_line_number"].tolist() == [1, 1, 1, 2, 2, 3, 4]
    assert captured.iloc[1]["user_id"] == "u-zs-1" and captured.iloc[5]["pictures"] == "http://img/zc4.jpg"
    assert captured.iloc[6]["load_error"] == "unsupported capture: source_platform 'xiaohongshu-user'"
    four_cat = comments[comments["source_file"].str.startswith("4cat/")]
    assert four_cat[["comment_id", "parent_comment_id", "note_id"]].values.tolist() == [
        ["zc5", "", "z5"],
        ["zc6", "zc5", "z5"],
    ]


def test_sqlite_excel_and_mongo_stores_read_like_the_files():
    notes = read_exports(STORES, "notes").to_pandas().set_index("note_id", drop=False)
    comments = read_exports(STORES, "comments").to_pandas().set_index("comment_id", drop=False)
    # SQLite: JSON-quoted lists (\uXXXX escapes), 'None' counts, integer sub_comment_count, string parents.
    assert notes.loc["s1", "source_format"] == "sqlite" and notes.loc["s1", "schema_era"] == "2026"
    assert notes.loc["s1", "tag_list"] == "cat tax,猫"
    assert notes.loc["s1", "image_list"] == "http://img/s1-1.jpg,http://img/s1-2.jpg"
    assert pd.isna(notes.loc["s1", "share_count"]) and notes.loc["s1", "time"] == "1795132800000"
    assert notes.loc["s2", "image_list"] == "" and pd.isna(notes.loc["s2", "liked_count"])
    assert comments.loc["sc2", ["sub_comment_count", "parent_comment_id", "pictures"]].tolist() == [
        "0",
        "sc1",
        "http://img/sc2.jpg",
    ]
    assert pd.isna(comments.loc["sc2", "like_count"])
    # Excel: Python list str(), numbers as cells.
    assert notes.loc["x1", "source_format"] == "xlsx" and notes.loc["x1", "source_line_number"] == 2
    assert notes.loc["x1", "image_list"] == "http://img/x1-1.jpg,http://img/x1-2.jpg"
    assert notes.loc["x1", "time"] == "1795132800000" and notes.loc["x1", "ip_location"] == "美国"
    assert comments.loc["xc1", ["parent_comment_id", "sub_comment_count"]].tolist() == ["0", "1"]
    # mongoexport: JSON lines with extended JSON, and --jsonArray.
    assert notes.loc["m1", ["source_format", "time", "schema_era"]].tolist() == [
        "mongoexport",
        "1795132800000",
        "2026",
    ]
    assert comments.loc[["mc1", "mc2"], "parent_comment_id"].tolist() == ["", "mc1"]


def test_same_day_csv_reads_the_other_eras_rows_by_field_count():
    notes = read_exports(STORES, "notes").to_pandas().set_index("note_id", drop=False)
    assert notes.loc[["r1", "r3", "r2"], "schema_era"].tolist() == ["2025", "2025", "2026"]
    assert notes.loc["r2", "creator_hash"] == creator_hash("u-mc-2") and pd.isna(notes.loc["r2", "user_id"])
    assert notes.loc["r2", "source_keyword"] == "晚饭"  # the 2026 columns, not shifted by two
    comments = read_exports(STORES, "comments").to_pandas()
    same_day = comments[comments["source_file"] == "mediacrawler/csv/search_comments_2026-07-01.csv"]
    assert same_day["schema_era"].tolist() == ["2025", "2026", "2025"]
    assert same_day.iloc[1]["creator_hash"] == creator_hash("u-mc-9")
    assert same_day.iloc[2]["load_error"] == "malformed csv row: 12 fields, expected 13"


def test_truncated_json_array_keeps_complete_records():
    comments = read_exports(STORES, "comments").to_pandas()
    truncated = comments[comments["source_file"] == "mediacrawler/json/search_comments_2026-07-03.json"]
    assert truncated["comment_id"].fillna("-").tolist() == ["j1", "j2", "-"]
    tail = truncated.iloc[2]
    assert tail["load_error"].startswith("malformed json record: truncated array")
    assert tail["raw_record"].lstrip().startswith('{\n        "comment_id": "j3"')
    assert truncated["source_line_number"].tolist() == [2, 15, 28]


def test_gbk_and_gb18030_csvs_are_decoded():
    comments = read_exports(STORES, "comments").to_pandas().set_index("comment_id")
    assert comments.loc["g1", "content"] == "我们欢迎你们来小红书，这里的人都很热情"
    assert (
        comments.loc["g1", "ip_location"] == "广东" and comments.loc["g2", "content"] == "谢谢大家 thank you"
    )
    assert comments.loc["g3", "content"] == "𠮷野家的牛肉饭也很好吃，下次一起去吧😂"  # outside GBK: GB18030


def test_broken_stores_cost_one_row_each(tmp_path):
    (tmp_path / "database").mkdir()
    sqlite3.connect(tmp_path / "database" / "sqlite_tables.db").close()  # no tables
    (tmp_path / "xhs_search_20261130_101500.xlsx").write_bytes(b"not a workbook")
    (tmp_path / "xhs_comments.json").write_text('[{"comment_id": "ok1", "note_id": "n1"}]')
    comments = read_exports(tmp_path, "comments").to_pandas()
    errors = dict(zip(comments["source_file"], comments["load_error"].fillna(""), strict=True))
    assert (
        errors["database/sqlite_tables.db"] == "unreadable file: sqlite store without table xhs_note_comment"
    )
    assert errors["xhs_search_20261130_101500.xlsx"].startswith("unreadable file: not an xlsx workbook")
    assert errors["xhs_comments.json"] == ""
    assert all("\n" not in error for error in errors.values())
