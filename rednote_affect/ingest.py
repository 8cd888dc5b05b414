"""Read RedNote crawls into one all-text table per entity: MediaCrawler's files (CSV, JSON, JSONL; both schema eras)
and stores (SQLite, Excel, mongoexport), and Zeeschuimer / 4CAT NDJSON (`rednote_affect.stores`).

`export_format` is the one rule of what an export is; the raw-dir check (Python and the on-run-start macro, through
a DuckDB function the plugin registers) and the reader both use it. Every record of every export becomes exactly
one output row. A record that breaks the file format is kept
with `load_error` set (the staging models turn that into a quarantine reason), so nothing is lost silently. A file
that cannot be read at all contributes one row with `source_row_number = 0` and the error.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from rednote_affect.mediacrawler import COMMENT_COLUMNS, NOTE_COLUMNS, columns_for

ENTITIES = ("notes", "comments")
ENTITY_COLUMNS = {"notes": NOTE_COLUMNS, "comments": COMMENT_COLUMNS}
ENTITY_KEYS = {"notes": "note_id", "comments": "comment_id"}
# MediaCrawler file exports: {crawler_type}_{contents|comments}_{date}.{csv,json,jsonl}.
FILE_PATTERNS = {"notes": "_contents_", "comments": "_comments_"}
FILE_SUFFIXES = (".csv", ".json", ".jsonl")
# mongoexport of MediaCrawler's collections, as JSON lines or one array, named after the collection.
MONGO_PATTERNS = {"notes": "xhs_contents", "comments": "xhs_comments"}
# Folders MediaCrawler fills with what is no export: word clouds, note images and videos.
NOT_EXPORT_FOLDERS = {"words", "images", "videos"}
EXPORT_DESCRIPTION = (
    "*_contents_* / *_comments_* as .csv/.json/.jsonl, xhs_contents / xhs_comments mongoexports, "
    "sqlite_tables.db, .xlsx, Zeeschuimer or 4CAT .ndjson"
)
# Encodings a CSV that is not UTF-8 may be in: Excel on Chinese Windows writes GBK (GB18030 is its superset).
CHINESE_ENCODINGS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "big5": "big5"}
RAW_RECORD_MAX_CHARS = 2000
META_COLUMNS = [
    "source_file",
    "source_format",
    "source_row_number",
    "source_line_number",
    "schema_era",
    "load_error",
    "raw_record",
]

# A MediaCrawler text field can be long (a pasted essay); the csv default of 128 KiB is too small to be safe.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class RawDirError(ValueError):
    """The raw directory is missing or holds no MediaCrawler export."""


@dataclass
class RawRecord:
    values: dict[str, str | None]
    row_number: int
    line_number: int | None
    load_error: str | None = None
    raw_record: str | None = None
    era: str | None = None  # when it differs from the file's (a row of the other era under an old header)


def export_format(relative_path: Path) -> tuple[str, tuple[str, ...]] | None:
    """The one rule of what an export is: (source_format, entities it holds), or None for anything else."""
    name = relative_path.name
    lower = name.lower()
    suffix = relative_path.suffix.lower()
    if name.startswith((".", "~$")) or NOT_EXPORT_FOLDERS & {
        part.lower() for part in relative_path.parts[:-1]
    }:
        return None  # hidden files, Excel lock files, word clouds, images, videos
    if lower.endswith(("_word_freq.json", "_word_cloud.png")):
        return None
    if suffix == ".ndjson":
        return "zeeschuimer", ENTITIES
    if lower == "sqlite_tables.db":
        return "sqlite", ENTITIES
    if suffix == ".xlsx":
        return "xlsx", ENTITIES
    if suffix in (".json", ".jsonl"):
        mongo = tuple(entity for entity in ENTITIES if MONGO_PATTERNS[entity] in lower)
        if mongo:
            return "mongoexport", mongo
    if suffix in FILE_SUFFIXES:
        files = tuple(entity for entity in ENTITIES if FILE_PATTERNS[entity] in name)
        if files:
            return suffix.lstrip("."), files
    return None


def find_exports(raw_dir: str | Path, entity: str) -> list[tuple[Path, str]]:
    """(path, source_format) of every export holding `entity` under raw_dir, recursively, in a stable order."""
    root = Path(raw_dir)
    found = []
    for path in sorted(root.rglob("*")):
        kind = export_format(path.relative_to(root)) if path.is_file() else None
        if kind and entity in kind[1]:
            found.append((path, kind[0]))
    return found


def find_export_files(raw_dir: str | Path, entity: str) -> list[Path]:
    """Every export file holding `entity` under raw_dir."""
    return [path for path, _ in find_exports(raw_dir, entity)]


def raw_dir_problem(raw_dir: str | Path) -> str:
    """A one-line message naming the directory when it is missing or holds no export, else ""."""
    root = Path(raw_dir)
    if not root.is_dir():
        return f"raw_dir '{raw_dir}' does not exist or is not a directory, so it holds no MediaCrawler export"
    if not any(find_exports(root, entity) for entity in ENTITIES):
        return f"raw_dir '{raw_dir}' holds no MediaCrawler export ({EXPORT_DESCRIPTION})"
    return ""


def check_raw_dir(raw_dir: str | Path) -> None:
    """Fail with a one-line message naming the directory when it is missing or holds no export."""
    problem = raw_dir_problem(raw_dir)
    if problem:
        raise RawDirError(problem)


def _as_text(value: object) -> str | None:
    """Raw values as text, the way they look in a CSV export; lists become comma-joined."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join("" if item is None else str(item) for item in value)
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith("$"):
            return _as_text(next(iter(value.values())))  # mongoexport's {"$numberLong": "…"}, {"$oid": "…"}
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _schema_era(field_names: list[str] | set[str]) -> str:
    if "creator_hash" in field_names and "user_id" not in field_names:
        return "2026"
    return "2025"


def _decode_csv(path: Path) -> str:
    """A CSV export's text: UTF-8 (with or without BOM), else a Chinese encoding charset-normalizer detects."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        encoding = CHINESE_ENCODINGS.get(best.encoding.lower() if best else "")
        if encoding is None:
            raise  # the original error: latin-1 or cp1252 would only decode a Chinese crawl into mojibake
        return data.decode(encoding)


def _other_era_columns(entity: str, header: list[str]) -> dict[int, tuple[str, list[str]]]:
    """Field count -> (era, columns) of the schema eras the header is not: MediaCrawler writes the header only when
    it creates the day's file, so an upgrade mid-day appends rows of the new schema under the old header."""
    others = {}
    for era in ("2025", "2026"):
        columns = columns_for(entity, era)
        if columns != header and len(columns) != len(header):
            others[len(columns)] = (era, columns)
    return others


CREATOR_HASH = re.compile(r"[0-9a-f]{16}")


def _read_csv(path: Path, entity: str) -> tuple[str, Iterator[RawRecord]]:
    """Records of a CSV export, each checked against the header's field count.

    A record with the field count of the other schema era is read with that era's columns (a same-day file that
    MediaCrawler kept appending to across an upgrade). A stray quote makes the csv module swallow the following
    lines into one record. When a malformed record spans several physical lines, only its first line is
    quarantined and parsing restarts on the next line, so the records it swallowed are read again rather than lost
    inside one bad row.
    """
    # Split on "\n" only (keeping it): str.splitlines would also break on U+2028 and friends inside text.
    lines = _decode_csv(path).split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if not lines:
        return "2025", iter(())
    header = [name.strip() for name in next(csv.reader(lines[:1]))]
    if ENTITY_KEYS[entity] not in header:
        raise ValueError(f"unrecognized header: no {ENTITY_KEYS[entity]} column")
    other_eras = _other_era_columns(entity, header)

    def as_other_era(fields: list[str]) -> tuple[str, dict[str, str]] | None:
        if len(fields) not in other_eras:
            return None
        era, columns = other_eras[len(fields)]
        values = dict(zip(columns, fields, strict=True))
        hashed = values.get("creator_hash")
        if era == "2026" and hashed and not CREATOR_HASH.fullmatch(hashed.strip().lower()):
            return None  # a field count that matches by chance
        return era, values

    def records() -> Iterator[RawRecord]:
        row_number = 0
        next_line = 1  # 0-based index of the first line not yet parsed (line 0 is the header)
        while next_line < len(lines):
            reader = csv.reader(lines[next_line:])
            offset = next_line
            restart_at = None
            consumed = 0
            for fields in reader:
                first_line = offset + consumed  # 0-based
                consumed = reader.line_num
                if not fields:
                    continue  # a blank line is no record
                row_number += 1
                if len(fields) == len(header):
                    yield RawRecord(
                        values=dict(zip(header, fields, strict=True)),
                        row_number=row_number,
                        line_number=first_line + 1,
                    )
                    continue
                other = as_other_era(fields)
                if other:
                    yield RawRecord(
                        values=other[1], row_number=row_number, line_number=first_line + 1, era=other[0]
                    )
                    continue
                spanned = offset + consumed - first_line
                yield RawRecord(
                    values={},
                    row_number=row_number,
                    line_number=first_line + 1,
                    load_error=f"malformed csv row: {len(fields)} fields, expected {len(header)}",
                    raw_record=(lines[first_line] if spanned > 1 else ",".join(fields))[
                        :RAW_RECORD_MAX_CHARS
                    ],
                )
                if spanned > 1:
                    restart_at = first_line + 1
                    break
            next_line = restart_at if restart_at is not None else len(lines)

    return _schema_era(header), records()


def _json_record(obj: object, row_number: int, line_number: int | None) -> RawRecord:
    if not isinstance(obj, dict):
        return RawRecord(
            values={},
            row_number=row_number,
            line_number=line_number,
            load_error="malformed json record: not an object",
            raw_record=json.dumps(obj, ensure_ascii=False)[:RAW_RECORD_MAX_CHARS],
        )
    return RawRecord(
        values={key: _as_text(value) for key, value in obj.items()},
        row_number=row_number,
        line_number=line_number,
    )


def _era_of(records: list[RawRecord]) -> str:
    keys: set[str] = set()
    for record in records[:200]:
        keys.update(record.values)
    return _schema_era(keys)


def _read_json_array(text: str) -> list[RawRecord]:
    """The records of one JSON array. MediaCrawler rewrites the whole file per item, so an interrupted run leaves a
    truncated array: its complete records are kept and the unparseable tail becomes one malformed record."""
    decoder = json.JSONDecoder()
    whitespace = re.compile(r"\s*")
    position = whitespace.match(text).end()
    if text[position : position + 1] != "[":
        raise ValueError("malformed json file: top level is not an array")
    position = whitespace.match(text, position + 1).end()
    records: list[RawRecord] = []
    if text[position : position + 1] == "]":
        return records
    while position < len(text):
        try:
            obj, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            records.append(
                RawRecord(
                    values={},
                    row_number=len(records) + 1,
                    line_number=text.count("\n", 0, position) + 1,
                    load_error=f"malformed json record: truncated array ({error.msg})",
                    raw_record=text[position:][:RAW_RECORD_MAX_CHARS],
                )
            )
            break
        records.append(_json_record(obj, len(records) + 1, text.count("\n", 0, position) + 1))
        position = whitespace.match(text, end).end()
        separator = text[position : position + 1]
        position = whitespace.match(text, position + 1).end()
        if separator == "]" or (separator == "," and position >= len(text)):
            break  # the end, or a truncation right after a complete record: nothing is lost
        if separator != ",":
            records.append(
                RawRecord(
                    values={},
                    row_number=len(records) + 1,
                    line_number=text.count("\n", 0, position) + 1,
                    load_error="malformed json record: expected ',' or ']' after a record",
                    raw_record=text[end:][:RAW_RECORD_MAX_CHARS],
                )
            )
            break
    return records


def _read_json_lines(text: str) -> list[RawRecord]:
    records: list[RawRecord] = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            records.append(
                RawRecord(
                    values={},
                    row_number=len(records) + 1,
                    line_number=line_number,
                    load_error=f"malformed json line: {error.msg}",
                    raw_record=line.rstrip("\r")[:RAW_RECORD_MAX_CHARS],
                )
            )
            continue
        records.append(_json_record(obj, len(records) + 1, line_number))
    return records


def _read_json(path: Path) -> tuple[str, Iterator[RawRecord]]:
    """A JSON export: one array (MediaCrawler's .json, `mongoexport --jsonArray`) or one object per line (.jsonl,
    plain mongoexport), told apart by the first character."""
    text = path.read_text(encoding="utf-8-sig")
    records = _read_json_array(text) if text.lstrip().startswith("[") else _read_json_lines(text)
    return _era_of(records), iter(records)


def _read(path: Path, source_format: str, entity: str) -> tuple[str, str, Iterator[RawRecord]]:
    """(source_format, schema era, records) of one export."""
    from rednote_affect import stores

    if source_format == "csv":
        return (source_format, *_read_csv(path, entity))
    if source_format in ("json", "jsonl", "mongoexport"):
        return (source_format, *_read_json(path))
    if source_format == "zeeschuimer":
        flavor, records = stores.read_zeeschuimer(path, entity)
        return flavor, "zeeschuimer", iter(records)
    records = (
        stores.read_sqlite(path, entity) if source_format == "sqlite" else stores.read_xlsx(path, entity)
    )
    return source_format, _era_of(records), iter(records)


def raw_schema(entity: str) -> pa.Schema:
    """The raw table of an entity: every raw column of either era as text, then the lineage columns."""
    lineage_types = {"source_row_number": pa.int64(), "source_line_number": pa.int64()}
    return pa.schema(
        [pa.field(name, pa.string()) for name in ENTITY_COLUMNS[entity]]
        + [pa.field(name, lineage_types.get(name, pa.string())) for name in META_COLUMNS]
    )


def raw_table_columns(entity: str) -> str:
    """raw_schema as the column list of a DuckDB `create table` (the on-run-start macro creates the tables)."""
    sql_types = {pa.string(): "varchar", pa.int64(): "bigint"}
    return ", ".join(f'"{field.name}" {sql_types[field.type]}' for field in raw_schema(entity))


def read_exports(raw_dir: str | Path, entity: str) -> pa.Table:
    """Every record of every export of `entity` under raw_dir, all values as text, plus lineage columns."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; expected one of {list(ENTITIES)}")
    check_raw_dir(raw_dir)
    root = Path(raw_dir)
    columns = ENTITY_COLUMNS[entity]
    output: dict[str, list] = {name: [] for name in columns + META_COLUMNS}

    def append(record: RawRecord, source_file: str, source_format: str, era: str) -> None:
        for name in columns:
            output[name].append(record.values.get(name))
        output["source_file"].append(source_file)
        output["source_format"].append(source_format)
        output["source_row_number"].append(record.row_number)
        output["source_line_number"].append(record.line_number)
        output["schema_era"].append(record.era or era)
        output["load_error"].append(record.load_error)
        output["raw_record"].append(record.raw_record)

    for path, source_format in find_exports(root, entity):
        source_file = path.relative_to(root).as_posix()
        try:
            source_format, era, records = _read(path, source_format, entity)
            # Materialize per file so that a late read error affects only this file's rows.
            file_records = list(records)
        except Exception as error:  # one bad file costs one row, never the build
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            if not isinstance(error, (UnicodeDecodeError, ValueError, csv.Error, OSError, sqlite3.Error)):
                message = (
                    f"{type(error).__name__}: {message}"  # unexpected content; the type helps a bug report
                )
            append(
                RawRecord(
                    values={}, row_number=0, line_number=None, load_error=f"unreadable file: {message}"[:300]
                ),
                source_file,
                source_format,
                "unknown",
            )
            continue
        for record in file_records:
            append(record, source_file, source_format, era)

    return pa.Table.from_pydict(output, schema=raw_schema(entity))
