"""The raw contract: MediaCrawler xhs exports, both schema eras, and writers for them.

Before 2026-07 exports carry `user_id`, `nickname`, `avatar` and `ip_location`, and a top-level
comment has `parent_comment_id = "0"`. Later exports carry `creator_hash` (sha256 of the user id,
first 16 hex) instead of `user_id`, a masked nickname, no avatar and no ip_location, and a
top-level comment has `parent_comment_id = ""`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

NOTE_COLUMNS_2025 = [
    "note_id",
    "type",
    "title",
    "desc",
    "video_url",
    "time",
    "last_update_time",
    "user_id",
    "nickname",
    "avatar",
    "liked_count",
    "collected_count",
    "comment_count",
    "share_count",
    "ip_location",
    "image_list",
    "tag_list",
    "last_modify_ts",
    "note_url",
    "source_keyword",
    "xsec_token",
]
COMMENT_COLUMNS_2025 = [
    "comment_id",
    "create_time",
    "ip_location",
    "note_id",
    "content",
    "user_id",
    "nickname",
    "avatar",
    "sub_comment_count",
    "pictures",
    "parent_comment_id",
    "last_modify_ts",
    "like_count",
]
NOTE_COLUMNS_2026 = [c for c in NOTE_COLUMNS_2025 if c not in ("avatar", "ip_location")]
NOTE_COLUMNS_2026[NOTE_COLUMNS_2026.index("user_id")] = "creator_hash"
COMMENT_COLUMNS_2026 = [c for c in COMMENT_COLUMNS_2025 if c not in ("avatar", "ip_location")]
COMMENT_COLUMNS_2026[COMMENT_COLUMNS_2026.index("user_id")] = "creator_hash"

# Every column the raw tables carry, whatever the era; missing ones are NULL.
NOTE_COLUMNS = NOTE_COLUMNS_2025 + ["creator_hash"]
COMMENT_COLUMNS = COMMENT_COLUMNS_2025 + ["creator_hash"]


def creator_hash(user_id: str) -> str:
    """The pseudonymous key MediaCrawler writes as `creator_hash`: sha256 of the user id, 16 hex."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:16]


def columns_for(entity: str, era: str) -> list[str]:
    table = {
        ("notes", "2025"): NOTE_COLUMNS_2025,
        ("comments", "2025"): COMMENT_COLUMNS_2025,
        ("notes", "2026"): NOTE_COLUMNS_2026,
        ("comments", "2026"): COMMENT_COLUMNS_2026,
    }
    return table[(entity, era)]


def write_export(
    rows: Iterable[Mapping[str, object]], path: str | Path, entity: str, era: str = "2025"
) -> int:
    """Write rows as MediaCrawler does, choosing CSV (utf-8 BOM), JSON (one array) or JSONL by suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = columns_for(entity, era)
    count = 0
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            # MediaCrawler's CSV rows end in CRLF (bare LF only inside quoted fields).
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
                count += 1
    elif path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) + "\n")
                count += 1
    elif path.suffix == ".json":
        records = [{c: row.get(c) for c in columns} for row in rows]
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        count = len(records)
    else:
        raise ValueError(f"unsupported export suffix {path.suffix!r} for {path}")
    return count
