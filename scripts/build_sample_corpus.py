"""Turn the hand-written corpus parts (corpus_src/part_*.json) into the embedded sample crawl and its gold seeds.

Writes, deterministically:
- seeds/sample_crawl/search_contents_2025-01-20.csv, search_comments_2025-01-20.csv: MediaCrawler's 2025 CSV
  export (UTF-8 with BOM), with the crawler's quirks: display-string counts, millisecond epochs, "0" parents;
- seeds/sample_crawl/search_comments_2025-01-26.csv: a later re-crawl of some comments (newer last_modify_ts and
  like counts), which the warehouse must resolve to the latest version;
- seeds/sample_crawl/search_contents_2026-08-03.jsonl, search_comments_2026-08-03.jsonl: a re-crawl in MediaCrawler's
  2026 schema (JSONL, creator_hash, masked nickname, no IP location, "" parents) from corpus_src/crawl_2026.json:
  new comments under some sample posts, the re-crawled posts themselves, and a few new posts, some untitled
  (MediaCrawler then writes title = desc[:255]). An author named as in the 2025 parts is the same person: the same
  user id, so creator_hash = sha256(user id)[:16] joins the eras. These comments are not gold-labeled;
- seeds/gold/gold_post_labels.csv and gold_comment_labels.csv: the theme of every post, the emotion and stance of
  every comment, and a fixed train/test split by post (a whole thread is either train or test, stratified by theme,
  so held-out scores measure new threads, not new comments under threads the classifier has seen).

Run: .venv/bin/python scripts/build_sample_corpus.py
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import random
from pathlib import Path

from rednote_affect.mediacrawler import NOTE_COLUMNS_2025, creator_hash, write_export

# Note columns a 2026 re-crawl does not copy from the 2025 row.
NOT_RECRAWLED = {"user_id", "nickname", "avatar", "comment_count", "ip_location", "last_modify_ts"}

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "corpus_src"
CRAWL_DIR = ROOT / "seeds" / "sample_crawl"
GOLD_DIR = ROOT / "seeds" / "gold"
TEST_SHARE = 0.3
BAN_DAY_MS = 1737072000000  # 2025-01-17 00:00 UTC, the week of the TikTok ban
CRAWLED_MS = 1737849600000  # 2025-01-26 00:00 UTC
RECRAWLED_MS = 1738108800000  # 2025-01-29 00:00 UTC
UPGRADE_MS = 1782918120000  # 2026-07-01 23:02 +08:00: MediaCrawler writes the 2026 schema (no IP location) from here on
CRAWLED_2026_MS = 1785715200000  # 2026-08-03 00:00 UTC


def hex_id(*parts: str, length: int = 24) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:length]


def display_count(value: int, rng: random.Random) -> str:
    """How RedNote shows a count: exact below 10,000, then "1.2万"; sometimes "10+" or missing."""
    roll = rng.random()
    if roll < 0.03:
        return "None"
    if value >= 10000:
        return f"{value / 10000:.1f}万".replace(".0万", "万")
    if 10 <= value < 100 and roll < 0.08:
        return "10+"
    return str(value)


def normalize(text: str) -> str:
    return " ".join(text.split())


def masked_nickname(nickname: str) -> str:
    """MediaCrawler's mask since 2026-07-01: first char + *** + last char; x* for two chars, * for one."""
    if len(nickname) <= 1:
        return "*"
    if len(nickname) == 2:
        return nickname[0] + "*"
    return nickname[0] + "***" + nickname[-1]


def note_url(note_id: str, token: str) -> str:
    return f"https://www.xiaohongshu.com/explore/{note_id}?xsec_token={token}&xsec_source=pc_search"


def xsec_token(note_id: str) -> str:
    return "AB" + hex_id("token", note_id, length=30).upper()


def known_user_ids(posts: list[dict], comments: list[dict]) -> dict[str, str]:
    """The 2025 user id of every nickname that names one person (one IP location) in the parts."""
    locations: dict[str, set[str]] = {}
    for record in posts + comments:
        locations.setdefault(record["author"], set()).add(record["ip_location"])
    return {
        name: hex_id("user", name, next(iter(places)))
        for name, places in locations.items()
        if len(places) == 1
    }


def build_2026(
    posts: list[dict],
    comments: list[dict],
    note_rows: list[dict],
    commented: dict[str, int],
    rng: random.Random,
) -> tuple[list[dict], list[dict], dict[str, int]]:
    """The 2026-era re-crawl: note rows (re-crawled and new) and comment rows, and how many comments came from
    returning and from new authors."""
    source = json.loads((SOURCE_DIR / "crawl_2026.json").read_text(encoding="utf-8"))
    user_ids = known_user_ids(posts, comments)

    def author_id(name: str) -> str:
        return user_ids.get(name) or hex_id("user", name, "2026")

    old_notes = {post["key"]: row for post, row in zip(posts, note_rows, strict=True)}
    last_2025_comment = {
        post["key"]: max(
            (commented[c["key"]] for c in comments if c["post"] == post["key"]), default=BAN_DAY_MS
        )
        for post in posts
    }
    notes_2026, comments_2026 = [], []
    authors = {"returning": 0, "new": 0}
    for index, post in enumerate(source["posts"]):
        note_id = hex_id("note", post["key"])
        published_ms = CRAWLED_2026_MS - 30 * 86_400_000 + index * 86_400_000 + rng.randrange(3_600_000)
        last_2025_comment[post["key"]] = published_ms
        title = post["title"] or post["desc"][:255]  # MediaCrawler's title of an untitled note
        notes_2026.append(
            {
                "note_id": note_id,
                "type": post["type"],
                "title": title,
                "desc": post["desc"],
                "video_url": "",
                "time": published_ms,
                "last_update_time": published_ms + rng.randrange(3_600_000),
                "creator_hash": creator_hash(author_id(post["author"])),
                "nickname": masked_nickname(post["author"]),
                "liked_count": display_count(int(rng.paretovariate(1.2) * 200), rng),
                "collected_count": display_count(int(rng.paretovariate(1.3) * 30), rng),
                "comment_count": display_count(len(source["threads"].get(post["key"], [])), rng),
                "share_count": display_count(int(rng.paretovariate(1.5) * 8), rng),
                "image_list": ",".join(
                    f"http://sns-webpic-qc.xhscdn.com/{hex_id('img', note_id, str(i), length=32)}"
                    for i in range(rng.randint(1, 4))
                ),
                "tag_list": ",".join(post["tags"]),
                "last_modify_ts": CRAWLED_2026_MS + index,
                "note_url": note_url(note_id, xsec_token(note_id)),
                "source_keyword": "tiktok refugee",
                "xsec_token": xsec_token(note_id),
            }
        )
    # The sample posts that get new comments are crawled again, in the 2026 schema.
    for index, key in enumerate(sorted(key for key in source["threads"] if key in old_notes)):
        old = old_notes[key]
        notes_2026.append(
            {
                # The 2025 columns but the author's, the counts the 2026 schema renames and the crawl time.
                **{column: old[column] for column in NOTE_COLUMNS_2025 if column not in NOT_RECRAWLED},
                "time": int(old["time"]),
                "last_update_time": int(old["last_update_time"]),
                "creator_hash": creator_hash(old["user_id"]),
                "nickname": masked_nickname(old["nickname"]),
                "comment_count": display_count(
                    sum(1 for c in comments if c["post"] == key) + len(source["threads"][key]), rng
                ),
                "last_modify_ts": CRAWLED_2026_MS + 1000 + index,
            }
        )
    for key, thread in sorted(source["threads"].items()):
        note_id = hex_id("note", key)
        ids, times = [], []
        for position, entry in enumerate(thread):
            name, likes, text = entry[:3]
            parent = entry[3] if len(entry) > 3 else None
            comment_id = hex_id("comment", "2026", key, str(position))
            earliest = max(last_2025_comment[key], UPGRADE_MS) if parent is None else times[parent]
            commented_ms = earliest + rng.randrange(60_000, 86_400_000 * (1 if parent is not None else 20))
            ids.append(comment_id)
            times.append(commented_ms)
            authors["returning" if name in user_ids else "new"] += 1
            comments_2026.append(
                {
                    "comment_id": comment_id,
                    "create_time": commented_ms,
                    "note_id": note_id,
                    "content": text,
                    "creator_hash": creator_hash(author_id(name)),
                    "nickname": masked_nickname(name),
                    "sub_comment_count": sum(
                        1 for other in thread if len(other) > 3 and other[3] == position
                    ),
                    "pictures": "",
                    "parent_comment_id": ids[parent] if parent is not None else "",
                    "last_modify_ts": CRAWLED_2026_MS + 2000 + len(comments_2026),
                    "like_count": display_count(int(likes), rng),
                }
            )
    return notes_2026, comments_2026, authors


def load_parts() -> tuple[list[dict], list[dict]]:
    posts, comments = [], []
    for path in sorted(SOURCE_DIR.glob("part_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        posts.extend(data["posts"])
        comments.extend(data["comments"])
    return posts, comments


def split_posts(posts: list[dict]) -> dict[str, str]:
    """train/test by post, stratified by theme, fixed by hashing the post key."""
    split: dict[str, str] = {}
    by_theme: dict[str, list[str]] = {}
    for post in posts:
        by_theme.setdefault(post["theme"], []).append(post["key"])
    for keys in by_theme.values():
        ordered = sorted(keys, key=lambda key: hex_id("split", key))
        test_count = max(1, round(len(ordered) * TEST_SHARE))
        for index, key in enumerate(ordered):
            split[key] = "test" if index < test_count else "train"
    return split


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crawl-dir", type=Path, default=CRAWL_DIR)
    parser.add_argument("--gold-dir", type=Path, default=GOLD_DIR)
    arguments = parser.parse_args(argv)
    crawl_dir, gold_dir = arguments.crawl_dir, arguments.gold_dir
    posts, comments = load_parts()
    rng = random.Random(20250119)
    split = split_posts(posts)
    note_ids = {post["key"]: hex_id("note", post["key"]) for post in posts}
    comment_ids = {comment["key"]: hex_id("comment", comment["key"]) for comment in comments}
    reply_counts: dict[str, int] = {}
    for comment in comments:
        if comment.get("reply_to"):
            reply_counts[comment["reply_to"]] = reply_counts.get(comment["reply_to"], 0) + 1

    note_rows, post_labels, published = [], [], {}
    for index, post in enumerate(posts):
        note_id = note_ids[post["key"]]
        published_ms = BAN_DAY_MS + index * 3_600_000 * 3 + rng.randrange(3_600_000)
        published[post["key"]] = published_ms
        user_id = hex_id("user", post["author"], post["ip_location"])
        note_rows.append(
            {
                "note_id": note_id,
                "type": post.get("type", "normal"),
                "title": post["title"],
                "desc": post["desc"],
                "video_url": ""
                if post.get("type") != "video"
                else f"https://sns-video-bd.xhscdn.com/stream/110/{hex_id('video', note_id, length=16)}.mp4",
                "time": str(published_ms),
                "last_update_time": str(published_ms + rng.randrange(86_400_000)),
                "user_id": user_id,
                "nickname": post["author"],
                "avatar": f"https://sns-avatar-qc.xhscdn.com/avatar/{hex_id('avatar', user_id, length=32)}",
                "liked_count": display_count(int(rng.paretovariate(1.1) * 300), rng),
                "collected_count": display_count(int(rng.paretovariate(1.3) * 40), rng),
                "comment_count": display_count(sum(1 for c in comments if c["post"] == post["key"]), rng),
                "share_count": display_count(int(rng.paretovariate(1.5) * 10), rng),
                "ip_location": post["ip_location"],
                "image_list": ",".join(
                    f"http://sns-webpic-qc.xhscdn.com/{hex_id('img', note_id, str(i), length=32)}"
                    for i in range(rng.randint(1, 4))
                ),
                "tag_list": ",".join(post.get("tags", [])),
                "last_modify_ts": str(CRAWLED_MS + index),
                "note_url": note_url(note_id, xsec_token(note_id)),
                "source_keyword": "tiktok refugee",
                "xsec_token": xsec_token(note_id),
            }
        )
        post_labels.append(
            {
                "note_id": note_id,
                "title": normalize(post["title"]),
                "description": normalize(post["desc"]),
                "theme": post["theme"],
                "split": split[post["key"]],
            }
        )

    comment_rows, comment_labels, commented = [], [], {}
    for index, comment in enumerate(comments):
        parent_key = comment.get("reply_to")
        earliest = commented[parent_key] if parent_key else published[comment["post"]]
        commented_ms = earliest + rng.randrange(60_000, 3_600_000 * (2 if parent_key else 30))
        commented[comment["key"]] = commented_ms
        user_id = hex_id("user", comment["author"], comment["ip_location"])
        text = comment["text"]
        # MediaCrawler keeps some entities escaped as the page served them.
        raw_text = (
            html.escape(text, quote=True).replace("&#x27;", "&#39;") if '"' in text and index % 2 else text
        )
        comment_rows.append(
            {
                "comment_id": comment_ids[comment["key"]],
                "create_time": str(commented_ms),
                "ip_location": comment["ip_location"],
                "note_id": note_ids[comment["post"]],
                "content": raw_text,
                "user_id": user_id,
                "nickname": comment["author"],
                "avatar": f"https://sns-avatar-qc.xhscdn.com/avatar/{hex_id('avatar', user_id, length=32)}",
                "sub_comment_count": str(reply_counts.get(comment["key"], 0)),
                "pictures": "",
                "parent_comment_id": comment_ids[parent_key] if parent_key else "0",
                "last_modify_ts": str(CRAWLED_MS + index),
                "like_count": display_count(int(comment["likes"]), rng),
            }
        )
        comment_labels.append(
            {
                "comment_id": comment_ids[comment["key"]],
                "note_id": note_ids[comment["post"]],
                "content": normalize(text),
                "emotion": comment["emotion"],
                "stance": comment["stance"],
                "split": split[comment["post"]],
            }
        )

    # A later re-crawl of every 40th comment: the same id, newer last_modify_ts, more likes.
    recrawl_rows = []
    for index, row in enumerate(comment_rows[::40]):
        newer = dict(row)
        newer["last_modify_ts"] = str(RECRAWLED_MS + index)
        likes = comments[index * 40]["likes"]
        newer["like_count"] = display_count(int(likes * 1.3) + 1, rng)
        recrawl_rows.append(newer)

    # The 2026 re-crawl draws from its own generator, so the 2025 files stay as they were.
    notes_2026, comments_2026, authors_2026 = build_2026(
        posts, comments, note_rows, commented, random.Random(20260803)
    )

    crawl_dir.mkdir(parents=True, exist_ok=True)
    for stale in crawl_dir.glob("search_*"):
        stale.unlink()
    write_export(note_rows, crawl_dir / "search_contents_2025-01-20.csv", "notes", "2025")
    write_export(comment_rows, crawl_dir / "search_comments_2025-01-20.csv", "comments", "2025")
    write_export(recrawl_rows, crawl_dir / "search_comments_2025-01-26.csv", "comments", "2025")
    write_export(notes_2026, crawl_dir / "search_contents_2026-08-03.jsonl", "notes", "2026")
    write_export(comments_2026, crawl_dir / "search_comments_2026-08-03.jsonl", "comments", "2026")

    gold_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in (("gold_post_labels.csv", post_labels), ("gold_comment_labels.csv", comment_labels)):
        with (gold_dir / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print(
        f"{len(note_rows)} posts, {len(comment_rows)} comments, {len(recrawl_rows)} re-crawled; "
        f"test posts {sum(1 for s in split.values() if s == 'test')}; 2026 re-crawl: {len(notes_2026)} posts, "
        f"{len(comments_2026)} comments ({authors_2026['returning']} by 2025 authors, {authors_2026['new']} by new)"
    )


if __name__ == "__main__":
    main()
