"""Inferred identity (opt-in, var `infer_identity`): does a commenter write like a Chinese or a foreign user?

A logistic regression reads each comment together with its author's other comments:
- character 1-3 grams (TF-IDF) of the comment and of all the author's comments joined;
- script shares (Han, Latin, kana / Hangul, other letters, digits-and-symbols) of the comment and of the author;
- the comment's e5 embedding and the mean of the author's (where stored; zeros otherwise).

It is trained on the comments whose identity comes from their own IP location (identity_source = ip_location)
and measured on held-out *authors*: an author is in the test group when the hash of its author_key falls in the
first TEST_SHARE of the range, so no author's writing is on both sides, and the split does not move when other
authors are added. The final model, fitted on the known comments, labels the comments whose identity is still
unknown; those labels are `inferred`. Either fit takes at most MAX_TRAINING_COMMENTS comments of whole authors.

What it measures is how someone writes (language, script, content), which is not the IP location: a Chinese
student abroad writing English, or a foreigner in Shanghai writing Chinese, is labeled by writing. It is a
proxy, reported with its held-out agreement, never a replacement for the location.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rednote_affect.language import HAN, HANGUL, KANA, LATIN_LETTER

FEATURE_VERSION = "identity-v1"
IDENTITIES = ("chinese", "foreign")
TEST_SHARE = 0.3
MIN_AUTHORS_PER_IDENTITY = 2
# At the study's scale (400k comments) the features of every known comment would take gigabytes: fit on the
# comments of at most this many comments' worth of whole authors (chosen by the hash of author_key), and label
# in chunks of whole authors.
MAX_TRAINING_COMMENTS = 40000
PREDICTION_CHUNK = 20000
PURPOSES = ("held_out_authors", "prediction")


def output_schema() -> pa.Schema:
    return pa.schema(
        [
            ("comment_id", pa.string()),
            ("author_key", pa.string()),
            ("purpose", pa.string()),
            ("known_identity", pa.string()),
            ("inferred_identity", pa.string()),
            ("inferred_confidence", pa.float64()),
            ("classifier_version", pa.string()),
        ]
    )


def empty_output() -> pa.Table:
    return output_schema().empty_table()


def author_position(author_key: str) -> float:
    """Where the author falls in [0, 1), fixed by the author_key alone."""
    digest = hashlib.sha256(f"identity-split|{author_key}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x100000000


def is_test_author(author_key: str) -> bool:
    """Held-out group membership."""
    return author_position(author_key) < TEST_SHARE


def whole_authors(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` rows (at least one author's), taking whole authors in the order of author_position."""
    if len(frame) <= limit:
        return frame
    sizes = frame.groupby("author_key").size()
    order = sorted(sizes.index, key=author_position)
    kept = sizes[order].cumsum()
    chosen = set(kept[kept <= limit].index) or {order[0]}
    return frame[frame["author_key"].isin(chosen)]


def author_chunks(frame: pd.DataFrame, size: int):
    """`frame` in pieces of about `size` rows that never split an author (author context stays whole)."""
    ordered = frame.sort_values("author_key", kind="stable")
    keys = ordered["author_key"].to_numpy()
    start = 0
    while start < len(ordered):
        stop = min(start + size, len(ordered))
        while stop < len(ordered) and keys[stop] == keys[stop - 1]:
            stop += 1
        yield ordered.iloc[start:stop]
        start = stop


def script_shares(texts: Sequence[str]) -> np.ndarray:
    """Per text: shares of Han, Latin, kana + Hangul and other letters among its letters, and the share of
    characters that are letters at all (emoji, digits and punctuation lower it)."""
    matrix = np.zeros((len(texts), 5), dtype=np.float32)
    for row, text in enumerate(texts):
        text = text or ""
        han, latin = len(HAN.findall(text)), len(LATIN_LETTER.findall(text))
        kana_hangul = len(KANA.findall(text)) + len(HANGUL.findall(text))
        letters = sum(1 for char in text if char.isalpha())
        other = max(letters - han - latin - kana_hangul, 0)
        if letters:
            matrix[row, :4] = (han / letters, latin / letters, kana_hangul / letters, other / letters)
        if text:
            matrix[row, 4] = letters / len(text)
    return matrix


def author_means(matrix: np.ndarray, authors: Sequence[str]) -> np.ndarray:
    """Each row replaced by the mean of its author's rows (its own included)."""
    codes, inverse = np.unique(np.asarray(authors, dtype=object), return_inverse=True)
    sums = np.zeros((len(codes), matrix.shape[1]), dtype=np.float64)
    np.add.at(sums, inverse, matrix)
    counts = np.bincount(inverse, minlength=len(codes))[:, None]
    return (sums / counts)[inverse].astype(np.float32)


class IdentityClassifier:
    """Fitted on a set of comments with their authors' context; see the module docstring for the features."""

    def __init__(self) -> None:
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1, max_features=50000
        )
        self.model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")

    def _features(self, frame: pd.DataFrame, embeddings: np.ndarray, fit: bool) -> sparse.csr_matrix:
        texts = frame["content"].fillna("").tolist()
        authors = frame["author_key"].tolist()
        author_texts = (
            frame.groupby("author_key")["content"].transform(lambda s: " ".join(s.fillna(""))).tolist()
        )
        if fit:
            self.vectorizer.fit(texts + author_texts)
        scripts = script_shares(texts)
        dense = np.hstack(
            [scripts, author_means(scripts, authors), embeddings, author_means(embeddings, authors)]
        )
        return sparse.hstack(
            [
                self.vectorizer.transform(texts),
                self.vectorizer.transform(author_texts),
                sparse.csr_matrix(dense),
            ]
        ).tocsr()

    def fit(self, frame: pd.DataFrame, embeddings: np.ndarray, labels: Sequence[str]) -> IdentityClassifier:
        self.model.fit(self._features(frame, embeddings, fit=True), np.asarray(labels))
        return self

    def predict(self, frame: pd.DataFrame, embeddings: np.ndarray) -> pd.DataFrame:
        """comment_id, inferred_identity, inferred_confidence for every row of `frame` (indexed like
        `embeddings`). The author context is taken within `frame`: pass all of an author's comments together."""
        pieces = []
        for chunk in author_chunks(frame, PREDICTION_CHUNK):
            probabilities = self.model.predict_proba(
                self._features(chunk, embeddings[chunk.index], fit=False)
            )
            best = probabilities.argmax(axis=1)
            pieces.append(
                pd.DataFrame(
                    {
                        "comment_id": chunk["comment_id"].to_numpy(),
                        "inferred_identity": self.model.classes_[best],
                        "inferred_confidence": probabilities[np.arange(len(best)), best],
                    }
                )
            )
        return pd.concat(pieces, ignore_index=True)


def classifier_version(training: pd.DataFrame, embedding_model: str) -> str:
    rows = "\n".join(
        f"{c}|{a}|{i}"
        for c, a, i in sorted(
            zip(training["comment_id"], training["author_key"], training["identity"], strict=True)
        )
    )
    return hashlib.sha256(f"{FEATURE_VERSION}|{embedding_model}|{rows}".encode()).hexdigest()[:16]


def _enough_authors(frame: pd.DataFrame) -> bool:
    authors = frame.groupby("identity")["author_key"].nunique()
    return all(authors.get(identity, 0) >= MIN_AUTHORS_PER_IDENTITY for identity in IDENTITIES)


def infer_identities(
    comments: pd.DataFrame, embeddings: np.ndarray | None, embedding_model: str = "", log=print
) -> pa.Table:
    """Held-out-author evaluation rows and predictions for the unknown comments.

    `comments` has comment_id, author_key, content, identity and identity_source, one row per kept comment;
    `embeddings` one row per comment in the same order (or None). Returns output_schema() rows: purpose
    held_out_authors (known_identity = the IP location's, inferred_identity = the prediction of a model fitted on
    the other authors) and prediction (the comments still unknown, labeled by a model fitted on every known
    comment). Too few known authors of either identity: no rows, and a log line saying so.
    """
    frame = comments.reset_index(drop=True).copy()
    frame["author_key"] = frame["author_key"].fillna("comment:" + frame["comment_id"])
    vectors = (
        np.zeros((len(frame), 0), dtype=np.float32)
        if embeddings is None
        else np.asarray(embeddings, np.float32)
    )
    known_mask = (frame["identity_source"] == "ip_location") & frame["identity"].isin(IDENTITIES)
    known = frame[known_mask]
    if not _enough_authors(known):
        log(
            f"infer_identity: fewer than {MIN_AUTHORS_PER_IDENTITY} authors of each identity are known from IP "
            "location, so nothing is inferred"
        )
        return empty_output()
    version = classifier_version(whole_authors(known, MAX_TRAINING_COMMENTS), embedding_model)
    outputs = []

    test_mask = known["author_key"].map(is_test_author)
    train, test = whole_authors(known[~test_mask], MAX_TRAINING_COMMENTS), known[test_mask]
    if _enough_authors(train) and len(test):
        held_out = IdentityClassifier().fit(train, vectors[train.index], train["identity"])
        scored = (
            test[["comment_id", "author_key", "identity"]]
            .merge(held_out.predict(test, vectors), on="comment_id")
            .rename(columns={"identity": "known_identity"})
        )
        scored["purpose"] = "held_out_authors"
        outputs.append(scored)
        accuracy = float((scored["known_identity"] == scored["inferred_identity"]).mean())
        log(
            f"infer_identity: {len(test)} comments of {test['author_key'].nunique()} held-out authors, accuracy "
            f"{accuracy:.3f}"
        )

    unknown = frame[frame["identity_source"] == "unknown"]
    if len(unknown):
        fitted = whole_authors(known, MAX_TRAINING_COMMENTS)
        final = IdentityClassifier().fit(fitted, vectors[fitted.index], fitted["identity"])
        # The author context of an unknown comment is every comment of that author, known or not.
        context = frame[frame["author_key"].isin(set(unknown["author_key"]))]
        predicted = unknown[["comment_id", "author_key"]].merge(
            final.predict(context, vectors), on="comment_id"
        )
        predicted["purpose"], predicted["known_identity"] = "prediction", None
        outputs.append(predicted)
        log(f"infer_identity: {len(predicted)} unknown comments labeled")
    if not outputs:
        return empty_output()
    result = pd.concat(outputs, ignore_index=True)
    result["classifier_version"] = version
    result["inferred_confidence"] = result["inferred_confidence"].astype(float)
    return pa.Table.from_pandas(result[output_schema().names], schema=output_schema(), preserve_index=False)
