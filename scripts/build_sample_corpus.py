"""Turn the hand-written corpus parts (corpus_src/part_*.json) into the embedded sample crawl and its gold seeds.

Writes, deterministically:
- seeds/sample_crawl/search_contents_2025-01-20.csv, search_comments_2025-01-20.csv: MediaCrawler's 2025 CSV
  export (UTF-8 with BOM), with the crawler's quirks: display-string counts, millisecond epochs, "0" parents;
- seeds/sample_crawl/search_comments_2025-01-26.csv: a later re-crawl of some comments (newer last_modify_ts and
  like counts), which the warehouse must resolve to the latest version;
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

from rednote_affect.mediacrawler import write_export

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "corpus_src"
CRAWL_DIR = ROOT / "seeds" / "sample_crawl"
GOLD_DIR = ROOT / "seeds" / "gold"
TEST_SHARE = 0.3
BAN_DAY_MS = 1737072000000  # 2025-01-17 00:00 UTC, the week of the TikTok ban
CRAWLED_MS = 1737849600000  # 2025-01-26 00:00 UTC
RECRAWLED_MS = 1738108800000  # 2025-01-29 00:00 UTC


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


def normalise(text: str) -> str:
    return " ".join(text.split())


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
        note_rows.append({
            "note_id": note_id, "type": post.get("type", "normal"), "title": post["title"],
            "desc": post["desc"], "video_url": "" if post.get("type") != "video" else
            f"https://sns-video-bd.xhscdn.com/stream/110/{hex_id('video', note_id, length=16)}.mp4",
            "time": str(published_ms), "last_update_time": str(published_ms + rng.randrange(86_400_000)),
            "user_id": user_id, "nickname": post["author"],
            "avatar": f"https://sns-avatar-qc.xhscdn.com/avatar/{hex_id('avatar', user_id, length=32)}",
            "liked_count": display_count(int(rng.paretovariate(1.1) * 300), rng),
            "collected_count": display_count(int(rng.paretovariate(1.3) * 40), rng),
            "comment_count": display_count(sum(1 for c in comments if c["post"] == post["key"]), rng),
            "share_count": display_count(int(rng.paretovariate(1.5) * 10), rng),
            "ip_location": post["ip_location"],
            "image_list": ",".join(f"http://sns-webpic-qc.xhscdn.com/{hex_id('img', note_id, str(i), length=32)}"
                                   for i in range(rng.randint(1, 4))),
            "tag_list": ",".join(post.get("tags", [])), "last_modify_ts": str(CRAWLED_MS + index),
            "note_url": f"https://www.xiaohongshu.com/explore/{note_id}", "source_keyword": "tiktok refugee",
            "xsec_token": "AB" + hex_id("token", note_id, length=30).upper(),
        })
        post_labels.append({"note_id": note_id, "title": normalise(post["title"]),
                            "description": normalise(post["desc"]), "theme": post["theme"],
                            "split": split[post["key"]]})

    comment_rows, comment_labels, commented = [], [], {}
    for index, comment in enumerate(comments):
        parent_key = comment.get("reply_to")
        earliest = commented[parent_key] if parent_key else published[comment["post"]]
        commented_ms = earliest + rng.randrange(60_000, 3_600_000 * (2 if parent_key else 30))
        commented[comment["key"]] = commented_ms
        user_id = hex_id("user", comment["author"], comment["ip_location"])
        text = comment["text"]
        # MediaCrawler keeps some entities escaped as the page served them.
        raw_text = html.escape(text, quote=True).replace("&#x27;", "&#39;") if '"' in text and index % 2 else text
        comment_rows.append({
            "comment_id": comment_ids[comment["key"]], "create_time": str(commented_ms),
            "ip_location": comment["ip_location"], "note_id": note_ids[comment["post"]], "content": raw_text,
            "user_id": user_id, "nickname": comment["author"],
            "avatar": f"https://sns-avatar-qc.xhscdn.com/avatar/{hex_id('avatar', user_id, length=32)}",
            "sub_comment_count": str(reply_counts.get(comment["key"], 0)), "pictures": "",
            "parent_comment_id": comment_ids[parent_key] if parent_key else "0",
            "last_modify_ts": str(CRAWLED_MS + index), "like_count": display_count(int(comment["likes"]), rng),
        })
        comment_labels.append({"comment_id": comment_ids[comment["key"]], "note_id": note_ids[comment["post"]],
                               "content": normalise(text), "emotion": comment["emotion"],
                               "stance": comment["stance"], "split": split[comment["post"]]})

    # A later re-crawl of every 40th comment: the same id, newer last_modify_ts, more likes.
    recrawl_rows = []
    for index, row in enumerate(comment_rows[::40]):
        newer = dict(row)
        newer["last_modify_ts"] = str(RECRAWLED_MS + index)
        likes = comments[index * 40]["likes"]
        newer["like_count"] = display_count(int(likes * 1.3) + 1, rng)
        recrawl_rows.append(newer)

    crawl_dir.mkdir(parents=True, exist_ok=True)
    for stale in crawl_dir.glob("search_*"):
        stale.unlink()
    write_export(note_rows, crawl_dir / "search_contents_2025-01-20.csv", "notes", "2025")
    write_export(comment_rows, crawl_dir / "search_comments_2025-01-20.csv", "comments", "2025")
    write_export(recrawl_rows, crawl_dir / "search_comments_2025-01-26.csv", "comments", "2025")

    gold_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in (("gold_post_labels.csv", post_labels), ("gold_comment_labels.csv", comment_labels)):
        with (gold_dir / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print(f"{len(note_rows)} posts, {len(comment_rows)} comments, {len(recrawl_rows)} re-crawled; "
          f"test posts {sum(1 for s in split.values() if s == 'test')}")


if __name__ == "__main__":
    main()
