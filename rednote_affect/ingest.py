"""Read MediaCrawler xhs exports (CSV, JSON, JSONL; both schema eras) into one all-text table per entity.

Every record of every matching file becomes exactly one output row. A record that breaks the file format is kept
with `load_error` set (the staging models turn that into a quarantine reason), so nothing is lost silently. A file
that cannot be read at all contributes one row with `source_row_number = 0` and the error.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from rednote_affect.mediacrawler import COMMENT_COLUMNS, NOTE_COLUMNS

ENTITY_PATTERNS = {"notes": "_contents_", "comments": "_comments_"}
ENTITY_COLUMNS = {"notes": NOTE_COLUMNS, "comments": COMMENT_COLUMNS}
ENTITY_KEYS = {"notes": "note_id", "comments": "comment_id"}
SUFFIXES = (".csv", ".json", ".jsonl")
RAW_RECORD_MAX_CHARS = 2000
META_COLUMNS = [
    "source_file", "source_format", "source_row_number", "source_line_number", "schema_era", "load_error",
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


def find_export_files(raw_dir: str | Path, entity: str) -> list[Path]:
    """All export files of an entity under raw_dir, recursively, in a stable order."""
    pattern = ENTITY_PATTERNS[entity]
    root = Path(raw_dir)
    return sorted(
        path for path in root.rglob(f"*{pattern}*")
        if path.is_file() and path.suffix.lower() in SUFFIXES
    )


def check_raw_dir(raw_dir: str | Path) -> None:
    """Fail with a one-line message naming the directory when it is missing or holds no export."""
    root = Path(raw_dir)
    if not root.is_dir():
        raise RawDirError(f"raw_dir '{raw_dir}' does not exist or is not a directory")
    if not any(find_export_files(root, entity) for entity in ENTITY_PATTERNS):
        raise RawDirError(
            f"raw_dir '{raw_dir}' holds no MediaCrawler export (*_contents_*, *_comments_* as .csv/.json/.jsonl)"
        )


def _as_text(value: object) -> str | None:
    """Raw values as text, the way they look in a CSV export; lists become comma-joined."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join("" if item is None else str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _schema_era(field_names: list[str] | set[str]) -> str:
    if "creator_hash" in field_names and "user_id" not in field_names:
        return "2026"
    return "2025"


def _read_csv(path: Path, entity: str) -> tuple[str, Iterator[RawRecord]]:
    """Records of a CSV export, each checked against the header's field count.

    A stray quote makes the csv module swallow the following lines into one record. When a malformed record
    spans several physical lines, only its first line is quarantined and parsing restarts on the next line,
    so the records it swallowed are read again rather than lost inside one bad row.
    """
    # Split on "\n" only (keeping it): str.splitlines would also break on U+2028 and friends inside text.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = handle.read().split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if not lines:
        return "2025", iter(())
    header = [name.strip() for name in next(csv.reader(lines[:1]))]
    if ENTITY_KEYS[entity] not in header:
        raise ValueError(f"unrecognised header: no {ENTITY_KEYS[entity]} column")

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
                    yield RawRecord(values=dict(zip(header, fields, strict=True)), row_number=row_number,
                                    line_number=first_line + 1)
                    continue
                spanned = offset + consumed - first_line
                yield RawRecord(
                    values={},
                    row_number=row_number,
                    line_number=first_line + 1,
                    load_error=f"malformed csv row: {len(fields)} fields, expected {len(header)}",
                    raw_record=(lines[first_line] if spanned > 1 else ",".join(fields))[:RAW_RECORD_MAX_CHARS],
                )
                if spanned > 1:
                    restart_at = first_line + 1
                    break
            next_line = restart_at if restart_at is not None else len(lines)

    return _schema_era(header), records()


def _json_record(obj: object, row_number: int, line_number: int | None) -> RawRecord:
    if not isinstance(obj, dict):
        return RawRecord(values={}, row_number=row_number, line_number=line_number,
                         load_error="malformed json record: not an object",
                         raw_record=json.dumps(obj, ensure_ascii=False)[:RAW_RECORD_MAX_CHARS])
    return RawRecord(values={key: _as_text(value) for key, value in obj.items()}, row_number=row_number,
                     line_number=line_number)


def _read_json(path: Path) -> tuple[str, Iterator[RawRecord]]:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if not isinstance(data, list):
        raise ValueError("malformed json file: top level is not an array")
    keys: set[str] = set()
    for obj in data[:50]:
        if isinstance(obj, dict):
            keys.update(obj)
    return _schema_era(keys), (_json_record(obj, index + 1, None) for index, obj in enumerate(data))


def _read_jsonl(path: Path) -> tuple[str, Iterator[RawRecord]]:
    records: list[RawRecord] = []
    keys: set[str] = set()
    with path.open(encoding="utf-8-sig") as handle:
        row_number = 0
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row_number += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                records.append(RawRecord(values={}, row_number=row_number, line_number=line_number,
                                         load_error=f"malformed json line: {error.msg}",
                                         raw_record=line.rstrip("\n")[:RAW_RECORD_MAX_CHARS]))
                continue
            if isinstance(obj, dict) and len(keys) < 200:
                keys.update(obj)
            records.append(_json_record(obj, row_number, line_number))
    return _schema_era(keys), iter(records)


def read_exports(raw_dir: str | Path, entity: str) -> pa.Table:
    """Every record of every export file of `entity` under raw_dir, all values as text, plus lineage columns."""
    if entity not in ENTITY_PATTERNS:
        raise ValueError(f"unknown entity {entity!r}; expected one of {sorted(ENTITY_PATTERNS)}")
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
        output["schema_era"].append(era)
        output["load_error"].append(record.load_error)
        output["raw_record"].append(record.raw_record)

    for path in find_export_files(root, entity):
        source_file = path.relative_to(root).as_posix()
        source_format = path.suffix.lower().lstrip(".")
        try:
            if source_format == "csv":
                era, records = _read_csv(path, entity)
            elif source_format == "json":
                era, records = _read_json(path)
            else:
                era, records = _read_jsonl(path)
            # Materialise per file so that a late read error affects only this file's rows.
            file_records = list(records)
        except (UnicodeDecodeError, ValueError, csv.Error, OSError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            append(RawRecord(values={}, row_number=0, line_number=None,
                             load_error=f"unreadable file: {message}"[:300]),
                   source_file, source_format, "unknown")
            continue
        for record in file_records:
            append(record, source_file, source_format, era)

    schema = pa.schema(
        [pa.field(name, pa.string()) for name in columns]
        + [
            pa.field("source_file", pa.string()),
            pa.field("source_format", pa.string()),
            pa.field("source_row_number", pa.int64()),
            pa.field("source_line_number", pa.int64()),
            pa.field("schema_era", pa.string()),
            pa.field("load_error", pa.string()),
            pa.field("raw_record", pa.string()),
        ]
    )
    return pa.Table.from_pydict(output, schema=schema)
