"""The "llm" backend: a chat model behind any OpenAI-compatible chat-completions endpoint labels comments.

Every comment is sent as one request, ``POST {base_url}/chat/completions``, with a prompt built from the codebook
(all emotions with valence and description, the stances, the disambiguation rules), the post as context and the comment
as the item. The model must answer JSON only, ``{"emotion": ..., "stance": ...}``; the request carries
``temperature: 0`` and a strict JSON schema (``response_format``) whose enums are the codebook labels.

Where to point ``base_url`` (the part before ``/chat/completions``)::

    OpenAI                  https://api.openai.com/v1                            api_key_env="OPENAI_API_KEY"
    DeepSeek                https://api.deepseek.com/v1                          api_key_env="DEEPSEEK_API_KEY",
                                                                                 response_format="json_object"
    Qwen (DashScope)        https://dashscope.aliyuncs.com/compatible-mode/v1    api_key_env="DASHSCOPE_API_KEY"
    vLLM                    http://localhost:8000/v1                             (no key needed)
    Ollama                  http://localhost:11434/v1                            (no key needed)
    llama.cpp llama-server  http://localhost:8080/v1                             (no key needed)
    llama-cpp-python server http://localhost:8000/v1                             response_format="json_object_schema"

DeepSeek accepts only ``{"type": "json_object"}``; llama-cpp-python's server (``python -m llama_cpp.server``) rejects
OpenAI's ``json_schema`` type (0.3.36 answers HTTP 500) and takes the schema as ``{"type": "json_object", "schema": ...}``
(``response_format="json_object_schema"``; `make test-llm` runs it); servers that accept no ``response_format`` at
all take ``response_format="none"`` (the prompt still asks for JSON, and the answer is checked against the codebook
anyway).

Example::

    from rednote_affect.classifiers.llm_backend import LLMClassifier

    classifier = LLMClassifier(base_url="http://localhost:11434/v1", model="qwen2.5:7b-instruct")
    results = classifier.classify(items)

Behavior:

- The API key is read from the environment variable named by ``api_key_env`` at call time; without one no
  Authorization header is sent (local servers). The key never appears in logs, errors, ``version`` or ``repr``.
- At most ``max_concurrency`` requests are in flight, and at most ``requests_per_minute`` start per minute.
- HTTP 408/429/5xx, timeouts and connection errors are retried up to ``max_retries`` times with exponential backoff
  (``backoff_base_seconds * 2**retry`` plus a small jitter fixed by the item key), or after the ``Retry-After`` the
  server asks for. Then the item comes back ``unclassified`` with an error such as "http 500 after 5 attempts".
- An invalid answer (no parseable JSON, or a label outside the codebook) is retried up to ``invalid_label_retries``
  times with a corrective follow-up message; then the item is ``unclassified`` with the error, e.g.
  "invalid emotion 'happy'".
- Every item comes back, in input order. Confidences are None (chat answers carry no calibrated probability).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Literal

from rednote_affect.classifiers.base import (
    UNCLASSIFIED,
    ClassificationItem,
    ClassificationResult,
    Codebook,
    load_codebook,
    stable_hash,
)
from rednote_affect.http_retry import parse_retry_after
from rednote_affect.progress import Progress

logger = logging.getLogger(__name__)

ResponseFormat = Literal["json_schema", "json_object_schema", "json_object", "none"]
RESPONSE_FORMATS = ("json_schema", "json_object_schema", "json_object", "none")
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
ERROR_SNIPPET_CHARACTERS = 200

USER_TEMPLATE = "Post (context only, do not label it):\n{context}\n\nComment to label:\n{comment}"
CORRECTION_TEMPLATE = (
    "That answer is invalid: {error}. Answer again with JSON only, exactly "
    '{{"emotion": <one of {emotions}>, "stance": <one of {stances}>}}.'
)


def build_system_prompt(codebook: Codebook) -> str:
    """The instructions: the codebook's emotions and stances and its disambiguation rules."""
    emotion_lines = "\n".join(
        f"- {label} ({codebook.emotion_valence[label]}): {codebook.emotion_descriptions[label]}"
        for label in codebook.emotions
    )
    stance_lines = "\n".join(
        f"- {label}: {codebook.stance_descriptions[label]}" for label in codebook.stances
    )
    answer_shape = json.dumps({"emotion": "|".join(codebook.emotions), "stance": "|".join(codebook.stances)})
    return (
        'You label comments from RedNote (Xiaohongshu) threads under posts by foreign "TikTok refugees" who joined '
        "the app in January 2025. Comments may be in Chinese, English or both. For the comment, choose exactly one "
        "emotion and exactly one stance from this codebook.\n\n"
        f"Emotions:\n{emotion_lines}\n\n"
        "Stances (the commenter's alignment in the China-versus-foreign framing of the thread):\n"
        f"{stance_lines}\n\n"
        "Rules:\n"
        "1. Label the dominant emotion: when two are present, the one that carries the comment's point.\n"
        "2. A question asked to mock is contempt, not curiosity.\n"
        '3. A warm "welcome to RedNote" is neutral in stance; a welcome framed nationally ("welcome, see how free '
        'and safe China really is") is pro_china.\n'
        "4. The post is context only: label the comment.\n\n"
        f"Answer with JSON only, no other text, in this shape: {answer_shape}"
    )


def build_answer_schema(codebook: Codebook) -> dict[str, Any]:
    """The JSON schema of an answer, with the codebook labels as enums."""
    return {
        "type": "object",
        "properties": {
            "emotion": {"type": "string", "enum": list(codebook.emotions)},
            "stance": {"type": "string", "enum": list(codebook.stances)},
        },
        "required": ["emotion", "stance"],
        "additionalProperties": False,
    }


class InvalidAnswer(ValueError):
    """The model's answer is not JSON with codebook labels; the message says why."""


def _normalize_label(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def _extract_json_object(content: str) -> dict[str, Any]:
    """The first JSON object in the answer, tolerating code fences, <think> blocks and text around it."""
    text = re.sub(r"<think>.*?</think>", "", content, flags=re.DOTALL).strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL | re.IGNORECASE)
    if fenced:
        text = fenced.group(1).strip()
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    shown = content.strip()[:60]
    raise InvalidAnswer(f"unparseable answer {shown!r}" if shown else "empty answer")


def parse_answer(content: str | None, codebook: Codebook) -> tuple[str, str]:
    """(emotion, stance) from a model answer, or InvalidAnswer naming what is wrong."""
    answer = _extract_json_object(content or "")
    problems = []
    labels = {}
    for task, allowed in (("emotion", codebook.emotions), ("stance", codebook.stances)):
        value = answer.get(task)
        if not isinstance(value, str):
            problems.append(f"missing {task}" if value is None else f"invalid {task} {str(value)[:40]!r}")
        elif _normalize_label(value) not in allowed:
            problems.append(f"invalid {task} {value[:40]!r}")
        else:
            labels[task] = _normalize_label(value)
    if problems:
        raise InvalidAnswer("; ".join(problems))
    return labels["emotion"], labels["stance"]


class RateLimiter:
    """Thread-safe spacing limiter: request starts are at least 60 / requests_per_minute seconds apart."""

    def __init__(
        self,
        requests_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be > 0")
        self.interval_seconds = 60.0 / requests_per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = float("-inf")

    def acquire(self) -> None:
        """Block until this caller may start a request."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self.interval_seconds
        if start > now:
            self._sleep(start - now)


class _RetryableFailure(Exception):
    """A failure worth retrying (429, 5xx, timeout, connection error); `reason` is safe to show."""

    def __init__(self, reason: str, retry_after_seconds: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds


class _FinalFailure(Exception):
    """A failure that retrying cannot fix; the message is safe to show."""


class LLMClassifier:
    """Emotion and stance from a chat model at an OpenAI-compatible endpoint; see the module docstring."""

    backend = "llm"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        max_concurrency: int = 4,
        requests_per_minute: float = 600,
        max_retries: int = 4,
        timeout_seconds: float = 60,
        invalid_label_retries: int = 2,
        backoff_base_seconds: float = 1.0,
        codebook: Codebook | None = None,
        *,
        response_format: ResponseFormat = "json_schema",
        extra_body: dict[str, Any] | None = None,
        max_backoff_seconds: float = 60.0,
        log: Callable[[str], None] | None = None,
    ):
        if max_concurrency < 1 or max_retries < 0 or invalid_label_retries < 0 or timeout_seconds <= 0:
            raise ValueError(
                "need max_concurrency >= 1, max_retries >= 0, invalid_label_retries >= 0, timeout > 0"
            )
        if response_format not in RESPONSE_FORMATS:
            raise ValueError(
                f"response_format must be one of {', '.join(RESPONSE_FORMATS)}, not {response_format!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.endpoint = f"{self.base_url}/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.max_concurrency = int(max_concurrency)
        self.max_retries = int(max_retries)
        self.timeout_seconds = float(timeout_seconds)
        self.invalid_label_retries = int(invalid_label_retries)
        self.backoff_base_seconds = float(backoff_base_seconds)
        self.max_backoff_seconds = float(max_backoff_seconds)
        self.response_format = response_format
        self.extra_body = dict(extra_body or {})
        self.codebook = codebook or load_codebook()
        self.log = log
        self.rate_limiter = RateLimiter(requests_per_minute)

        self.system_prompt = build_system_prompt(self.codebook)
        self.answer_schema = build_answer_schema(self.codebook)
        self.model_id = model
        self.version = stable_hash(
            self.system_prompt,
            USER_TEMPLATE,
            CORRECTION_TEMPLATE,
            json.dumps(self.answer_schema, sort_keys=True),
            response_format,
            json.dumps(self.extra_body, sort_keys=True),
            model,
        )

    def __repr__(self) -> str:
        return (
            f"LLMClassifier(base_url={self.base_url!r}, model={self.model!r}, api_key_env={self.api_key_env!r}, "
            f"version={self.version!r})"
        )

    # -- requests ----------------------------------------------------------------------------------------------

    def _api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        return os.environ.get(self.api_key_env) or None  # an empty variable counts as no key

    def messages_for(self, item: ClassificationItem) -> list[dict[str, str]]:
        context = item.context if item.context and item.context.strip() else "(none)"
        return [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": USER_TEMPLATE.format(context=context, comment=item.text)},
        ]

    def request_body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            **self.extra_body,
            "model": self.model,
            "messages": messages,
            "temperature": 0,
        }
        if self.response_format == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "comment_labels", "strict": True, "schema": self.answer_schema},
            }
        elif self.response_format == "json_object_schema":
            body["response_format"] = {"type": "json_object", "schema": self.answer_schema}
        elif self.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _post_once(
        self, opener: urllib.request.OpenerDirector, body: bytes, api_key: str | None
    ) -> str | None:
        """One HTTP attempt; returns the answer content or raises _RetryableFailure / _FinalFailure."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=self.timeout_seconds) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            retry_after = parse_retry_after(error.headers.get("Retry-After") if error.headers else None)
            if error.code in RETRYABLE_STATUS_CODES:
                raise _RetryableFailure(f"http {error.code}", retry_after) from None
            try:
                snippet = error.read()[:ERROR_SNIPPET_CHARACTERS].decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                snippet = ""
            hint = f" (check the key in ${self.api_key_env})" if error.code in (401, 403) else ""
            raise _FinalFailure(
                f"http {error.code}{hint}: {' '.join(snippet.split())}".rstrip(": ")
            ) from None
        except TimeoutError:
            raise _RetryableFailure("timeout") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _RetryableFailure("timeout") from None
            raise _RetryableFailure(f"connection error ({type(error.reason).__name__})") from None
        except (OSError, http.client.HTTPException) as error:
            raise _RetryableFailure(f"connection error ({type(error).__name__})") from None
        try:
            return json.loads(payload)["choices"][0]["message"].get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise _FinalFailure("malformed response: no choices[0].message") from None

    def _backoff_seconds(self, key: str, retry_number: int, retry_after_seconds: float | None) -> float:
        if retry_after_seconds is not None:
            return min(retry_after_seconds, self.max_backoff_seconds)
        delay = self.backoff_base_seconds * 2**retry_number
        jitter_fraction = int(stable_hash(key, str(retry_number), length=8), 16) / 0xFFFFFFFF
        return min(delay * (1.0 + 0.1 * jitter_fraction), self.max_backoff_seconds)

    def _post_with_retries(
        self,
        opener: urllib.request.OpenerDirector,
        messages: list[dict[str, str]],
        api_key: str | None,
        key: str,
    ) -> str | None:
        body = json.dumps(self.request_body(messages), ensure_ascii=False).encode("utf-8")
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            self.rate_limiter.acquire()
            try:
                return self._post_once(opener, body, api_key)
            except _RetryableFailure as failure:
                if attempt + 1 == attempts:
                    raise _FinalFailure(f"{failure.reason} after {attempts} attempts") from None
                delay = self._backoff_seconds(key, attempt, failure.retry_after_seconds)
                logger.info(
                    "llm item %s: %s; retry %d/%d in %.2f s",
                    key,
                    failure.reason,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                time.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _classify_one(
        self, opener: urllib.request.OpenerDirector, item: ClassificationItem, api_key: str | None
    ) -> ClassificationResult:
        messages = self.messages_for(item)
        try:
            for correction in range(self.invalid_label_retries + 1):
                content = self._post_with_retries(opener, messages, api_key, item.key)
                try:
                    emotion, stance = parse_answer(content, self.codebook)
                    return ClassificationResult(key=item.key, emotion=emotion, stance=stance)
                except InvalidAnswer as invalid:
                    error = str(invalid)
                    if correction == self.invalid_label_retries:
                        break
                    logger.info("llm item %s: %s; asking again", item.key, error)
                    messages = [
                        *messages,
                        {"role": "assistant", "content": content or ""},
                        {
                            "role": "user",
                            "content": CORRECTION_TEMPLATE.format(
                                error=error,
                                emotions=", ".join(self.codebook.emotions),
                                stances=", ".join(self.codebook.stances),
                            ),
                        },
                    ]
        except _FinalFailure as failure:
            error = str(failure)
        except Exception as unexpected:  # an item is never lost: any failure becomes an unclassified result
            error = f"unexpected {type(unexpected).__name__}: {unexpected}"
        if api_key:
            error = error.replace(api_key, "***")
        logger.warning("llm item %s unclassified: %s", item.key, error)
        return ClassificationResult(
            key=item.key, emotion=UNCLASSIFIED, stance=UNCLASSIFIED, status="unclassified", error=error
        )

    def classify(self, items: list[ClassificationItem]) -> list[ClassificationResult]:
        if not items:
            return []
        api_key = self._api_key()
        opener = urllib.request.build_opener()  # honours the *_proxy / no_proxy environment variables
        results: list[ClassificationResult | None] = [None] * len(items)
        progress = Progress(len(items), f"llm {self.model}", log=self.log)
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="llm") as pool:
            futures = {
                pool.submit(self._classify_one, opener, item, api_key): index
                for index, item in enumerate(items)
            }
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                progress.update(1)
        progress.finish()
        missing = [items[index].key for index, result in enumerate(results) if result is None]
        if missing:  # cannot happen: _classify_one turns every failure into a result
            raise RuntimeError(f"llm backend lost items {missing[:5]}")
        return [result for result in results if result is not None]
