"""Inferred identity (opt-in, var `infer_identity`): does a commenter write like a Chinese or a foreign user?

A logistic regression reads each comment together with its author's other comments:
- character 1-3 grams (TF-IDF) of the comment and of all the author's comments joined;
- script shares (Han, Latin, kana / Hangul, other letters, digits-and-symbols) of the comment and of the author;
- the comment's e5 embedding and the mean of the author's (where stored; zeros otherwise).

It is trained on the comments whose identity comes from their own IP location (identity_source = ip_location)
and measured on held-out *authors*: an author is in the test group when the hash of its author_key falls in the
first TEST_SHARE of the range, so no author's writing is on both sides, and the split does not move when other
authors are added. The final model, fitted on every known comment, labels the comments whose identity is still
unknown; those labels are `inferred`.

What it measures is how someone writes (language, script, content), which is not the IP location: a Chinese
student abroad writing English, or a foreigner in Shanghai writing Chinese, is labelled by writing. It is a
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
PURPOSES = ("held_out_authors", "prediction")


def output_schema() -> pa.Schema:
    return pa.schema([
        ("comment_id", pa.string()),
        ("author_key", pa.string()),
        ("purpose", pa.string()),
        ("known_identity", pa.string()),
        ("inferred_identity", pa.string()),
        ("inferred_confidence", pa.float64()),
        ("classifier_version", pa.string()),
    ])


def empty_output() -> pa.Table:
    return output_schema().empty_table()


def is_test_author(author_key: str) -> bool:
    """Held-out group membership, fixed by the author_key alone."""
    digest = hashlib.sha256(f"identity-split|{author_key}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x100000000 < TEST_SHARE


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
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1,
                                          max_features=50000)
        self.model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")

    def _features(self, frame: pd.DataFrame, embeddings: np.ndarray, fit: bool) -> sparse.csr_matrix:
        texts = frame["content"].fillna("").tolist()
        authors = frame["author_key"].tolist()
        author_texts = frame.groupby("author_key")["content"].transform(lambda s: " ".join(s.fillna(""))).tolist()
        if fit:
            self.vectorizer.fit(texts + author_texts)
        scripts = script_shares(texts)
        dense = np.hstack([scripts, author_means(scripts, authors), embeddings, author_means(embeddings, authors)])
        return sparse.hstack([self.vectorizer.transform(texts), self.vectorizer.transform(author_texts),
                              sparse.csr_matrix(dense)]).tocsr()

    def fit(self, frame: pd.DataFrame, embeddings: np.ndarray, labels: Sequence[str]) -> IdentityClassifier:
        self.model.fit(self._features(frame, embeddings, fit=True), np.asarray(labels))
        return self

    def predict(self, frame: pd.DataFrame, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels and their probabilities. The author context is taken within `frame`: pass all of an author's
        comments together."""
        probabilities = self.model.predict_proba(self._features(frame, embeddings, fit=False))
        best = probabilities.argmax(axis=1)
        return self.model.classes_[best], probabilities[np.arange(len(best)), best]


def classifier_version(training: pd.DataFrame, embedding_model: str) -> str:
    rows = "\n".join(f"{c}|{a}|{i}" for c, a, i in sorted(zip(training["comment_id"], training["author_key"],
                                                               training["identity"], strict=True)))
    return hashlib.sha256(f"{FEATURE_VERSION}|{embedding_model}|{rows}".encode()).hexdigest()[:16]


def _enough_authors(frame: pd.DataFrame) -> bool:
    authors = frame.groupby("identity")["author_key"].nunique()
    return all(authors.get(identity, 0) >= MIN_AUTHORS_PER_IDENTITY for identity in IDENTITIES)


def infer_identities(comments: pd.DataFrame, embeddings: np.ndarray | None, embedding_model: str = "",
                     log=print) -> pa.Table:
    """Held-out-author evaluation rows and predictions for the unknown comments.

    `comments` has comment_id, author_key, content, identity and identity_source, one row per kept comment;
    `embeddings` one row per comment in the same order (or None). Returns output_schema() rows: purpose
    held_out_authors (known_identity = the IP location's, inferred_identity = the prediction of a model fitted on
    the other authors) and prediction (the comments still unknown, labelled by a model fitted on every known
    comment). Too few known authors of either identity: no rows, and a log line saying so.
    """
    frame = comments.reset_index(drop=True).copy()
    frame["author_key"] = frame["author_key"].fillna("comment:" + frame["comment_id"])
    vectors = np.zeros((len(frame), 0), dtype=np.float32) if embeddings is None else np.asarray(embeddings,
                                                                                               np.float32)
    known_mask = (frame["identity_source"] == "ip_location") & frame["identity"].isin(IDENTITIES)
    known = frame[known_mask]
    if not _enough_authors(known):
        log(f"infer_identity: fewer than {MIN_AUTHORS_PER_IDENTITY} authors of each identity are known from IP "
            "location, so nothing is inferred")
        return empty_output()
    version = classifier_version(known, embedding_model)
    outputs = []

    test_mask = known["author_key"].map(is_test_author)
    train, test = known[~test_mask], known[test_mask]
    if _enough_authors(train) and len(test):
        held_out = IdentityClassifier().fit(train, vectors[train.index], train["identity"])
        labels, confidence = held_out.predict(test, vectors[test.index])
        outputs.append(pd.DataFrame({
            "comment_id": test["comment_id"], "author_key": test["author_key"], "purpose": "held_out_authors",
            "known_identity": test["identity"], "inferred_identity": labels, "inferred_confidence": confidence,
        }))
        log(f"infer_identity: {len(test)} comments of {test['author_key'].nunique()} held-out authors, accuracy "
            f"{float(np.mean(labels == test['identity'].to_numpy())):.3f}")

    unknown = frame[frame["identity_source"] == "unknown"]
    if len(unknown):
        final = IdentityClassifier().fit(known, vectors[known.index], known["identity"])
        # The author context of an unknown comment is every comment of that author, known or not.
        context = frame[frame["author_key"].isin(set(unknown["author_key"]))]
        labels, confidence = final.predict(context, vectors[context.index])
        predicted = pd.DataFrame({"comment_id": context["comment_id"], "inferred_identity": labels,
                                  "inferred_confidence": confidence})
        predicted = unknown[["comment_id", "author_key"]].merge(predicted, on="comment_id")
        predicted["purpose"], predicted["known_identity"] = "prediction", None
        outputs.append(predicted)
        log(f"infer_identity: {len(predicted)} unknown comments labelled")
    if not outputs:
        return empty_output()
    result = pd.concat(outputs, ignore_index=True)
    result["classifier_version"] = version
    result["inferred_confidence"] = result["inferred_confidence"].astype(float)
    return pa.Table.from_pandas(result[output_schema().names], schema=output_schema(), preserve_index=False)
