"""Tests of the LLM backend against a scripted OpenAI-compatible server started in the test (no network)."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rednote_affect.classifiers.base import UNCLASSIFIED, ClassificationItem, load_codebook
from rednote_affect.classifiers.llm_backend import InvalidAnswer, LLMClassifier, RateLimiter, parse_answer

CODEBOOK = load_codebook()
SECRET_KEY = "sk-test-SECRET-0123456789"
CLIENT_TIMEOUT_SECONDS = 1.5  # generous: the suite runs beside the test build on two cores


def expected_labels(item_number: int) -> tuple[str, str]:
    """What the scripted server answers for a normal item."""
    return CODEBOOK.emotions[item_number % len(CODEBOOK.emotions)], CODEBOOK.stances[
        item_number % len(CODEBOOK.stances)
    ]


class ScriptedEndpoint:
    """Plays /v1/chat/completions: answers by markers in the comment, counts requests and in-flight requests."""

    def __init__(self, delay_seconds: float = 0.0):
        self.delay_seconds = delay_seconds
        self.lock = threading.Lock()
        self.request_counts: Counter[str] = Counter()
        self.request_times: defaultdict[str, list[float]] = defaultdict(list)
        self.bodies: list[dict[str, Any]] = []
        self.authorization_headers: list[str | None] = []
        self.in_flight = 0
        self.max_in_flight = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
                pass

            def do_POST(self) -> None:
                with endpoint.lock:
                    endpoint.in_flight += 1
                    endpoint.max_in_flight = max(endpoint.max_in_flight, endpoint.in_flight)
                self.in_flight = True
                try:
                    endpoint.handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)
                finally:
                    endpoint.leave(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        assert request.path == "/v1/chat/completions"
        body = json.loads(request.rfile.read(int(request.headers["Content-Length"])))
        comment = body["messages"][1]["content"].split("Comment to label:\n", 1)[1]
        item = re.search(r"item-(\d+)", comment)
        with self.lock:
            self.bodies.append(body)
            self.authorization_headers.append(request.headers.get("Authorization"))
            self.request_counts[item.group(0)] += 1
            count = self.request_counts[item.group(0)]
            self.request_times[item.group(0)].append(time.monotonic())
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        emotion, stance = expected_labels(int(item.group(1)))
        answer = json.dumps({"emotion": emotion, "stance": stance})

        if "ALWAYS500" in comment or ("FAIL500-ONCE" in comment and count == 1):
            return self.send(request, 500, {"error": {"message": "internal error"}})
        if "RATE429" in comment and count == 1:
            return self.send(request, 429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
        if "RETRY-AFTER-ONE" in comment and count == 1:
            return self.send(request, 429, {"error": {"message": "slow down"}}, {"Retry-After": "1"})
        if "TIMEOUT-ONCE" in comment and count == 1:
            time.sleep(CLIENT_TIMEOUT_SECONDS * 2)
        if "ECHO400" in comment:  # a server that echoes the request's Authorization header in its error
            return self.send(
                request, 400, {"error": f"bad request from {request.headers.get('Authorization')}"}
            )
        if "BADLABEL-ALWAYS" in comment or ("BADLABEL-ONCE" in comment and count == 1):
            answer = json.dumps({"emotion": "happy", "stance": stance})
        if "FENCED" in comment:
            answer = f"```json\n{answer}\n```"
        if "PROSE" in comment:
            answer = f"<think>It is {{not json}}.</think>Sure! Here are the labels: {answer} Hope this helps."
        self.send(
            request,
            200,
            {
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
                ],
            },
        )

    def leave(self, request: BaseHTTPRequestHandler) -> None:
        """The request is no longer in flight: called before its response is written (once the client has the
        response it may send the next request at once, while this thread is still unwinding)."""
        if getattr(request, "in_flight", False):
            request.in_flight = False
            with self.lock:
                self.in_flight -= 1

    def send(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        payload: dict,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.leave(request)
        data = json.dumps(payload).encode("utf-8")
        request.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


@pytest.fixture
def endpoint_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    started: list[ScriptedEndpoint] = []

    def start(delay_seconds: float = 0.0) -> ScriptedEndpoint:
        endpoint = ScriptedEndpoint(delay_seconds)
        endpoint.thread.start()
        started.append(endpoint)
        return endpoint

    yield start
    for endpoint in started:
        endpoint.server.shutdown()
        endpoint.server.server_close()


def make_classifier(endpoint: ScriptedEndpoint, **overrides: Any) -> LLMClassifier:
    settings: dict[str, Any] = dict(
        base_url=endpoint.base_url,
        model="scripted-model",
        api_key_env="RA_TEST_LLM_KEY",
        max_concurrency=4,
        requests_per_minute=60_000,
        max_retries=4,
        timeout_seconds=CLIENT_TIMEOUT_SECONDS,
        invalid_label_retries=2,
        backoff_base_seconds=0.01,
    )
    settings.update(overrides)
    return LLMClassifier(**settings)


def make_items(comments: list[str]) -> list[ClassificationItem]:
    return [
        ClassificationItem(
            key=f"key-{number}",
            text=f"item-{number} {comment}",
            context="TikTok refugee here, teach me Chinese" if number % 2 else None,
        )
        for number, comment in enumerate(comments)
    ]


SCRIPT = {  # marker: (expected requests, expected error or None when the item is labeled)
    "hello from Ohio": (1, None),
    "欢迎来到小红书": (1, None),
    "FAIL500-ONCE": (2, None),
    "TIMEOUT-ONCE": (2, None),
    "RATE429": (2, None),
    "ALWAYS500": (5, "http 500 after 5 attempts"),
    "BADLABEL-ONCE": (2, None),
    "BADLABEL-ALWAYS": (3, "invalid emotion 'happy'"),
    "FENCED": (1, None),
    "PROSE": (1, None),
    "ECHO400": (1, None),  # error checked separately: it must not contain the key
}


def test_scripted_endpoint_every_item_back_in_order(endpoint_factory, monkeypatch, caplog, capsys) -> None:
    monkeypatch.setenv("RA_TEST_LLM_KEY", SECRET_KEY)
    caplog.set_level(logging.DEBUG)
    endpoint = endpoint_factory()
    comments = list(SCRIPT) * 2  # every script twice, so that concurrency mixes them
    progress_lines: list[str] = []
    classifier = make_classifier(endpoint, log=progress_lines.append)
    results = classifier.classify(make_items(comments))

    assert [result.key for result in results] == [f"key-{number}" for number in range(len(comments))]
    for number, (comment, result) in enumerate(zip(comments, results, strict=True)):
        expected_requests, expected_error = SCRIPT[comment]
        assert endpoint.request_counts[f"item-{number}"] == expected_requests, comment
        if comment == "ECHO400":
            assert result.status == "unclassified" and result.error.startswith("http 400")
            assert "***" in result.error  # the echoed key was scrubbed
        elif expected_error is None:
            assert (result.emotion, result.stance, result.status, result.error) == (
                *expected_labels(number),
                "ok",
                None,
            )
        else:
            assert (result.emotion, result.stance, result.status) == (
                UNCLASSIFIED,
                UNCLASSIFIED,
                "unclassified",
            )
            assert result.error == expected_error
    assert progress_lines[-1].startswith(f"llm scripted-model: {len(comments)}/{len(comments)}")

    # The key went to the server, and nowhere else.
    assert set(endpoint.authorization_headers) == {f"Bearer {SECRET_KEY}"}
    captured = capsys.readouterr()
    shown_text = [
        repr(results),
        classifier.version,
        repr(classifier),
        caplog.text,
        captured.out,
        captured.err,
        *progress_lines,
    ]
    assert caplog.text  # retries and give-ups were logged, so the check below looks at real log lines
    assert not [text for text in shown_text if SECRET_KEY in text]


def test_request_sends_temperature_zero_schema_enums_and_codebook_prompt(endpoint_factory) -> None:
    endpoint = endpoint_factory()
    classifier = make_classifier(endpoint)
    classifier.classify([ClassificationItem("k", "item-1 how do I say hello", "TikTok refugee here")])
    body = endpoint.bodies[0]
    assert body["model"] == "scripted-model" and body["temperature"] == 0
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert (
        response_format["json_schema"]["name"] == "comment_labels"
        and response_format["json_schema"]["strict"]
    )
    properties = response_format["json_schema"]["schema"]["properties"]
    assert properties["emotion"]["enum"] == list(CODEBOOK.emotions) and len(CODEBOOK.emotions) == 12
    assert properties["stance"]["enum"] == ["pro_china", "neutral", "pro_foreign"]
    system_prompt, user_message = body["messages"][0]["content"], body["messages"][1]["content"]
    for label in CODEBOOK.emotions:
        assert (
            f"- {label} ({CODEBOOK.emotion_valence[label]}): {CODEBOOK.emotion_descriptions[label]}"
            in system_prompt
        )
    for label in CODEBOOK.stances:
        assert f"- {label}: {CODEBOOK.stance_descriptions[label]}" in system_prompt
    assert "question asked to mock is contempt" in system_prompt and "JSON only" in system_prompt
    assert "TikTok refugee here" in user_message and user_message.endswith("item-1 how do I say hello")


def test_corrective_retry_sends_the_error_back(endpoint_factory) -> None:
    endpoint = endpoint_factory()
    make_classifier(endpoint).classify(make_items(["BADLABEL-ONCE"]))
    first, second = endpoint.bodies
    assert len(first["messages"]) == 2 and len(second["messages"]) == 4
    assert second["messages"][2] == {
        "role": "assistant",
        "content": '{"emotion": "happy", "stance": "pro_china"}',
    }
    assert "invalid emotion 'happy'" in second["messages"][3]["content"]


def test_json_object_and_no_response_format(endpoint_factory) -> None:
    endpoint = endpoint_factory()
    make_classifier(endpoint, response_format="json_object").classify(make_items(["hi"]))
    make_classifier(endpoint, response_format="none").classify(make_items(["hi"]))
    assert endpoint.bodies[0]["response_format"] == {"type": "json_object"}
    assert "response_format" not in endpoint.bodies[1]


def test_json_object_schema_sends_the_schema_the_llama_cpp_python_way(endpoint_factory) -> None:
    endpoint = endpoint_factory()
    classifier = make_classifier(endpoint, response_format="json_object_schema")
    classifier.classify(make_items(["hi"]))
    response_format = endpoint.bodies[0]["response_format"]
    assert response_format["type"] == "json_object"
    assert response_format["schema"]["properties"]["emotion"]["enum"] == list(load_codebook().emotions)
    assert classifier.version != make_classifier(endpoint, response_format="json_schema").version
    with pytest.raises(ValueError, match="json_object_schema"):
        make_classifier(endpoint, response_format="json")


def test_without_a_key_no_authorization_header_is_sent(endpoint_factory, monkeypatch) -> None:
    monkeypatch.delenv("RA_TEST_LLM_KEY", raising=False)
    endpoint = endpoint_factory()
    results = make_classifier(endpoint).classify(make_items(["hello"]))
    assert results[0].status == "ok" and endpoint.authorization_headers == [None]


@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_concurrency_never_exceeds_the_limit(endpoint_factory, max_concurrency) -> None:
    endpoint = endpoint_factory(delay_seconds=0.03)
    results = make_classifier(endpoint, max_concurrency=max_concurrency).classify(make_items(["hello"] * 15))
    assert all(result.status == "ok" for result in results)
    assert endpoint.max_in_flight == max_concurrency  # reached, never exceeded


def test_retry_after_header_is_honoured(endpoint_factory) -> None:
    endpoint = endpoint_factory()
    result = make_classifier(endpoint).classify(make_items(["RETRY-AFTER-ONE"]))[0]
    first, second = endpoint.request_times["item-0"]
    assert result.status == "ok" and second - first >= 0.95  # not the 0.01 s backoff


def test_requests_per_minute_spaces_request_starts(endpoint_factory) -> None:
    endpoint = endpoint_factory()
    make_classifier(endpoint, requests_per_minute=1200, max_concurrency=4).classify(make_items(["hello"] * 6))
    starts = sorted(times[0] for times in endpoint.request_times.values())
    assert starts[-1] - starts[0] >= 5 * 0.05 - 0.01  # 1200 per minute: one start every 0.05 s


def test_rate_limiter_spacing_with_a_fake_clock() -> None:
    now = [100.0]
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    limiter = RateLimiter(60, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(3):
        limiter.acquire()
    assert sleeps == [1.0, 2.0]
    now[0] = 110.0  # after a pause the next request may start at once
    limiter.acquire()
    assert sleeps == [1.0, 2.0]


def test_connection_refused_is_retried_then_unclassified(monkeypatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    classifier = LLMClassifier(
        f"http://127.0.0.1:{port}/v1", "m", max_retries=2, backoff_base_seconds=0.01, timeout_seconds=1
    )
    result = classifier.classify([ClassificationItem("k", "hello")])[0]
    assert (result.status, result.emotion) == ("unclassified", UNCLASSIFIED)
    assert re.fullmatch(r"connection error \(\w+\) after 3 attempts", result.error)


def test_parse_answer_is_tolerant_but_strict_about_labels() -> None:
    assert parse_answer('```json\n{"emotion": "Joy", "stance": "pro-china"}\n```', CODEBOOK) == (
        "joy",
        "pro_china",
    )
    assert parse_answer('<think>{"x"}</think> {"stance": "neutral", "emotion": "fear"}', CODEBOOK) == (
        "fear",
        "neutral",
    )
    with pytest.raises(InvalidAnswer, match="invalid emotion 'happy'; invalid stance 'pro_usa'"):
        parse_answer('{"emotion": "happy", "stance": "pro_usa"}', CODEBOOK)
    with pytest.raises(InvalidAnswer, match="missing stance"):
        parse_answer('{"emotion": "joy"}', CODEBOOK)
    with pytest.raises(InvalidAnswer, match="unparseable answer 'joy, neutral'"):
        parse_answer("joy, neutral", CODEBOOK)
    with pytest.raises(InvalidAnswer, match="empty answer"):
        parse_answer(None, CODEBOOK)


def test_version_depends_on_prompt_and_model_not_on_the_key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    first = LLMClassifier("http://127.0.0.1:1/v1", "model-a")
    monkeypatch.setenv("OPENAI_API_KEY", "another-key")
    assert LLMClassifier("http://127.0.0.1:1/v1", "model-a").version == first.version
    assert LLMClassifier("http://127.0.0.1:1/v1", "model-b").version != first.version
    assert (
        LLMClassifier("http://127.0.0.1:1/v1", "model-a", response_format="json_object").version
        != first.version
    )
    assert (first.backend, first.model_id) == ("llm", "model-a")
    assert SECRET_KEY not in repr(first) and SECRET_KEY not in first.version
