"""Turn the written training corpus (corpus_src/training/*.json) into the seed the default classifier learns from.

The corpus was written for this project, register by register (see corpus_src/training/README.md), and labeled
by the codebook. Writes seeds/training/written_comment_labels.csv, one row per comment with its post's title and
text, and a fixed split by post: a whole thread is train or test (TEST_SHARE of each register's posts, chosen by a
hash of the post key), so the written test split measures new threads, like the gold test split.

Run: .venv/bin/python scripts/build_training_corpus.py
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "corpus_src" / "training"
SEED = ROOT / "seeds" / "training" / "written_comment_labels.csv"
TEST_SHARE = 0.25
COLUMNS = [
    "comment_id",
    "post_id",
    "register",
    "title",
    "description",
    "content",
    "emotion",
    "stance",
    "ip_location",
    "split",
]


def post_order(key: str) -> str:
    return hashlib.sha256(f"split|{key}".encode()).hexdigest()


def main() -> None:
    posts: dict[str, dict] = {}
    comments: list[dict] = []
    for path in sorted(SOURCE_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for post in data["posts"]:
            if post["key"] in posts:
                raise ValueError(f"{path.name}: post key {post['key']} is used twice")
            # A register written for its emotions only (stance_used: false) keeps its stance labels out of the
            # seed: nearly all neutral by design, they tilted the stance head (corpus_src/training/README.md).
            posts[post["key"]] = {
                **post,
                "register": data["register"],
                "stance_used": data.get("stance_used", True),
            }
        comments.extend(data["comments"])
    by_register: dict[str, list[str]] = defaultdict(list)
    for key, post in posts.items():
        by_register[post["register"]].append(key)
    test_posts = set()
    for keys in by_register.values():
        ranked = sorted(keys, key=post_order)
        test_posts.update(ranked[: round(len(ranked) * TEST_SHARE)])
    seen = set()
    SEED.parent.mkdir(parents=True, exist_ok=True)
    with SEED.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for comment in sorted(comments, key=lambda row: row["key"]):
            if comment["key"] in seen:
                raise ValueError(f"comment key {comment['key']} is used twice")
            seen.add(comment["key"])
            post = posts[comment["post"]]
            writer.writerow(
                {
                    "comment_id": comment["key"],
                    "post_id": comment["post"],
                    "register": post["register"],
                    "title": post.get("title") or "",
                    "description": post.get("desc") or "",
                    "content": " ".join(comment["text"].split()),
                    "emotion": comment["emotion"],
                    "stance": comment["stance"] if post["stance_used"] else "",
                    "ip_location": comment.get("ip_location") or "",
                    "split": "test" if comment["post"] in test_posts else "train",
                }
            )
    print(
        f"{SEED.relative_to(ROOT)}: {len(seen)} comments under {len(posts)} posts "
        f"({len(test_posts)} test posts)"
    )


if __name__ == "__main__":
    main()
