"""Readers for what is not a MediaCrawler file export: its SQLite and Excel stores, and Zeeschuimer / 4CAT NDJSON.

Each returns RawRecords whose values follow the file exports' conventions (field names of the 2025 or 2026 schema,
lists comma-joined, missing counts empty), so staging treats every source alike.
"""

from __future__ import annotations

import ast
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from rednote_affect.ingest import ENTITY_KEYS, RAW_RECORD_MAX_CHARS, RawRecord, _as_text

SQLITE_TABLES = {"notes": "xhs_note", "comments": "xhs_note_comment"}
XLSX_SHEETS = {"notes": "Contents", "comments": "Comments"}
LIST_COLUMNS = {"image_list", "tag_list", "pictures"}
COUNT_COLUMNS = {
    "liked_count",
    "collected_count",
    "comment_count",
    "share_count",
    "like_count",
    "sub_comment_count",
}
ZEESCHUIMER_PLATFORMS = {"xiaohongshu.com": "notes", "xiaohongshu-comments": "comments"}
NOTE_URL = "https://www.xiaohongshu.com/explore/{note_id}?xsec_token={token}&xsec_source=pc_search"


def _joined_list(text: str) -> str:
    """A list column as the files hold it (comma-joined). The SQLite store writes a JSON-quoted string
    ('"a,b"'), Excel a Python list's str() ("['a', 'b']")."""
    stripped = text.strip()
    try:
        if stripped.startswith('"'):
            value = json.loads(stripped)
        elif stripped.startswith("[") and stripped.endswith("]"):
            value = ast.literal_eval(stripped)
        else:
            return text
    except (ValueError, SyntaxError):
        return text
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if item is None else str(item) for item in value)
    return text


def _store_value(column: str, value: object) -> str | None:
    """A store's cell in the file exports' text conventions."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheet numbers: 1737331200000.0 is the epoch 1737331200000
    text = _as_text(value)
    if text is None or (column in COUNT_COLUMNS and text.strip() in ("None", "")):
        return None
    return _joined_list(text) if column in LIST_COLUMNS else text


def read_sqlite(path: Path, entity: str) -> list[RawRecord]:
    """Rows of MediaCrawler's SQLite store (`database/sqlite_tables.db`), in insertion order."""
    table = SQLITE_TABLES[entity]
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        columns = [row[1] for row in connection.execute(f"pragma table_info('{table}')")]
        if not columns:
            raise ValueError(f"sqlite store without table {table}")
        rows = connection.execute(f'select * from "{table}" order by rowid').fetchall()
    return [
        RawRecord(
            values={column: _store_value(column, value) for column, value in zip(columns, row, strict=True)},
            row_number=index,
            line_number=None,
        )
        for index, row in enumerate(rows, start=1)
    ]


def read_xlsx(path: Path, entity: str) -> list[RawRecord]:
    """Rows of MediaCrawler's Excel store (sheets Contents, Comments, Creators; the header row holds the field
    names). source_line_number is the spreadsheet row."""
    import openpyxl

    sheet = XLSX_SHEETS[entity]
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zip, XML and its own errors for a file that is no workbook
        raise ValueError(f"not an xlsx workbook ({type(error).__name__}: {error})") from error
    try:
        if sheet not in workbook.sheetnames:
            raise ValueError(f"xlsx workbook without sheet {sheet}")
        rows = workbook[sheet].iter_rows(values_only=True)
        header = [str(name).strip() if name is not None else "" for name in next(rows, ())]
        if ENTITY_KEYS[entity] not in header:
            raise ValueError(f"sheet {sheet}: unrecognized header, no {ENTITY_KEYS[entity]} column")
        records = []
        for line_number, row in enumerate(rows, start=2):
            if all(value is None for value in row):
                continue
            values = {
                column: _store_value(column, value)
                for column, value in zip(header, row, strict=False)
                if column
            }
            records.append(RawRecord(values=values, row_number=len(records) + 1, line_number=line_number))
        return records
    finally:
        workbook.close()


def _first(mapping: object, *keys: str) -> object:
    """The first of `keys` that `mapping` holds with a value (snake_case and camelCase captures)."""
    if not isinstance(mapping, dict):
        return None
    for key in keys:
        if mapping.get(key) not in (None, ""):
            return mapping[key]
    return None


def _urls(items: object) -> str | None:
    if not isinstance(items, list):
        return _as_text(items)
    urls = [
        _first(item, "url_default", "urlDefault", "url") if isinstance(item, dict) else item for item in items
    ]
    return ",".join(str(url) for url in urls if url) or None


def _tags(items: object) -> str | None:
    """Topic tags, comma-joined, as MediaCrawler keeps them."""
    if not isinstance(items, list):
        return _as_text(items)
    names = [
        _first(item, "name")
        for item in items
        if isinstance(item, dict) and item.get("type") in (None, "topic")
    ]
    return ",".join(str(name) for name in names if name) or None


def _keyword(page_url: object) -> str | None:
    """The search keyword of the page a capture was made on (`?keyword=`)."""
    if not isinstance(page_url, str):
        return None
    return (parse_qs(urlparse(page_url).query).get("keyword") or [None])[0]


def _zeeschuimer_note(data: dict, meta: dict, crawled_at: object) -> tuple[dict, str | None]:
    """A captured note in the 2025 export's fields, and why it cannot be kept (None when it can).

    Four shapes: a search / explore / feed item (`note_card`; only the feed API's has desc and time), a user-page
    video item (flattened), a post page (camelCase `note`), an HTML fallback (`_zs-origin: html`)."""
    if data.get("_zs-origin") == "html":
        shape = "html fallback"
        author_id = urlparse(str(data.get("author_url") or "")).path.rstrip("/").rsplit("/", 1)[-1] or None
        card = {
            "note_id": data.get("id"),
            "title": data.get("title"),
            "liked_count": data.get("likes"),
            "user": {
                "user_id": author_id,
                "nickname": data.get("author_name"),
                "avatar": data.get("author_avatar_url"),
            },
            "image_list": [data.get("thumbnail_url")] if data.get("thumbnail_url") else [],
        }
    elif isinstance(data.get("note_card"), dict):
        card = data["note_card"]
        shape = "feed item" if _first(card, "time") else "search or explore card"
    elif isinstance(data.get("note"), dict):
        card, shape = data["note"], "post page"
    else:
        card, shape = data, "user page item"
    user = _first(card, "user") or {}
    interactions = _first(card, "interact_info", "interactInfo") or {}
    note_id = (
        _first(card, "note_id", "noteId", "id") or _first(data, "id", "note_id") or _first(meta, "item_id")
    )
    token = _first(card, "xsec_token", "xsecToken") or _first(data, "xsec_token", "xsecToken")
    values = {
        "note_id": note_id,
        "type": _first(card, "type"),
        "title": _first(card, "title", "display_title", "displayTitle"),
        "desc": _first(card, "desc"),
        "time": _first(card, "time"),
        "last_update_time": _first(card, "last_update_time", "lastUpdateTime"),
        "user_id": _first(user, "user_id", "userId"),
        "nickname": _first(user, "nickname", "nickName", "nick_name"),
        "avatar": _first(user, "avatar", "image"),
        "liked_count": _first(interactions, "liked_count", "likedCount") or _first(card, "liked_count"),
        "collected_count": _first(interactions, "collected_count", "collectedCount"),
        "comment_count": _first(interactions, "comment_count", "commentCount"),
        "share_count": _first(interactions, "share_count", "shareCount"),
        "ip_location": _first(card, "ip_location", "ipLocation"),
        "image_list": _urls(_first(card, "image_list", "imageList")),
        "tag_list": _tags(_first(card, "tag_list", "tagList")),
        "last_modify_ts": crawled_at,
        "note_url": NOTE_URL.format(note_id=note_id, token=token or "") if note_id else None,
        "source_keyword": _keyword(meta.get("source_platform_url")),
        "xsec_token": token,
    }
    values = {column: _as_text(value) for column, value in values.items()}
    problem = None if values["time"] else f"note without time: zeeschuimer {shape} (no publication time)"
    return values, problem


def _zeeschuimer_comments(
    comment: dict, crawled_at: object, note_id: object = None, parent_id: object = None
) -> list[dict]:
    """A captured comment and, as rows of their own, the replies nested in its `sub_comments`."""
    user = _first(comment, "user_info", "userInfo") or {}
    own_id = _first(comment, "id", "comment_id")
    own_note = _first(comment, "note_id", "noteId") or note_id
    target = _first(_first(comment, "target_comment", "targetComment"), "id") or parent_id
    row = {
        "comment_id": own_id,
        "create_time": _first(comment, "create_time", "createTime"),
        "ip_location": _first(comment, "ip_location", "ipLocation"),
        "note_id": own_note,
        "content": _first(comment, "content"),
        "user_id": _first(user, "user_id", "userId"),
        "nickname": _first(user, "nickname", "nickName"),
        "avatar": _first(user, "image", "avatar"),
        "sub_comment_count": _first(comment, "sub_comment_count", "subCommentCount"),
        "pictures": _urls(_first(comment, "pictures")),
        "parent_comment_id": target or "",
        "last_modify_ts": crawled_at,
        "like_count": _first(comment, "like_count", "likeCount"),
    }
    rows = [{column: _as_text(value) for column, value in row.items()}]
    for reply in _first(comment, "sub_comments", "subComments") or []:
        if isinstance(reply, dict):
            rows += _zeeschuimer_comments(reply, crawled_at, own_note, own_id)
    return rows


def read_zeeschuimer(path: Path, entity: str) -> tuple[str, list[RawRecord]]:
    """("zeeschuimer" or "4cat", the records of `entity`) of an NDJSON export: Zeeschuimer writes one capture per
    line (`data` plus capture keys); 4CAT the `data` object with the capture keys under `__import_meta`.

    Captures are routed by `source_platform`; a line that is unreadable or of another platform counts against the
    entity the file name says (comments when it has "comments", else notes). `last_updated` is the crawl time, so
    repeated captures of an id supersede each other like re-crawls."""
    file_entity = "comments" if "comments" in path.name.lower() else "notes"
    flavor = "zeeschuimer"
    records: list[RawRecord] = []

    def problem_record(line_number: int, error: str, line: str) -> None:
        if entity == file_entity:
            records.append(
                RawRecord(
                    values={},
                    row_number=len(records) + 1,
                    line_number=line_number,
                    load_error=error,
                    raw_record=line[:RAW_RECORD_MAX_CHARS],
                )
            )

    for line_number, line in enumerate(path.read_text(encoding="utf-8-sig").split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            capture = json.loads(line)
        except json.JSONDecodeError as error:
            problem_record(line_number, f"malformed json line: {error.msg}", line)
            continue
        if not isinstance(capture, dict):
            problem_record(line_number, "malformed json record: not an object", line)
            continue
        if isinstance(capture.get("__import_meta"), dict):
            flavor = "4cat"
            meta = capture["__import_meta"]
            data = {key: value for key, value in capture.items() if key != "__import_meta"}
        else:
            meta, data = capture, capture.get("data")
        platform_entity = ZEESCHUIMER_PLATFORMS.get(meta.get("source_platform"))
        if platform_entity is None or not isinstance(data, dict):
            problem_record(
                line_number, f"unsupported capture: source_platform {meta.get('source_platform')!r}", line
            )
            continue
        if platform_entity != entity:
            continue
        crawled_at = _first(meta, "last_updated", "timestamp_collected")
        if entity == "notes":
            values, problem = _zeeschuimer_note(data, meta, crawled_at)
            records.append(
                RawRecord(
                    values=values,
                    row_number=len(records) + 1,
                    line_number=line_number,
                    load_error=problem,
                    raw_record=line[:RAW_RECORD_MAX_CHARS] if problem else None,
                )
            )
        else:
            for values in _zeeschuimer_comments(data, crawled_at):
                records.append(RawRecord(values=values, row_number=len(records) + 1, line_number=line_number))
    return flavor, records
