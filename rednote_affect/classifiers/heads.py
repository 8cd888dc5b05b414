"""The default classifier: scikit-learn heads trained during the build on the gold seed's train split.

Emotion and stance each get two logistic-regression heads whose probabilities are averaged:
- an embedding head over the comment's e5 embedding plus codebook cue counts (emotion), or over the comment's and
  the post's embeddings and their elementwise product (stance: the post is the context that gives a comment its
  national framing);
- a character n-gram head (1-3 grams), which catches slang and stickers (哈哈哈, 呵呵, [笑哭R]) an embedding blurs.

Training is deterministic (lbfgs, fixed order). `version` is a hash of everything that determines the labels (the
training rows, the embedding model, this module's feature version), so the heads retrain, and every comment is
relabelled, exactly when the gold seed changes.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rednote_affect.classifiers.base import (
    ClassificationItem,
    ClassificationResult,
    Codebook,
    load_codebook,
    stable_hash,
)

FEATURE_VERSION = "heads-v1"
FITTED_ATTRIBUTES = ("emotion_embedding_head", "stance_embedding_head", "ngrams", "emotion_ngram_head",
                     "stance_ngram_head")
EmbedLookup = Callable[[Sequence[str]], np.ndarray]


def cue_features(texts: Sequence[str], cues: dict[str, list[str]], labels: Sequence[str]) -> np.ndarray:
    """For each text, how many of each emotion's codebook cues it contains (lower-cased substring match)."""
    lowered = [text.lower() for text in texts]
    matrix = np.zeros((len(texts), len(labels)), dtype=np.float32)
    for column, label in enumerate(labels):
        patterns = [cue.lower() for cue in cues.get(label, []) if cue]
        for row, text in enumerate(lowered):
            matrix[row, column] = sum(text.count(pattern) for pattern in patterns)
    return np.log1p(matrix)


def load_cues(codebook_emotions: pd.DataFrame) -> dict[str, list[str]]:
    cues: dict[str, list[str]] = {}
    for row in codebook_emotions.itertuples(index=False):
        words = re.split(r"\s+", f"{row.cues_zh} ") + re.findall(r"[a-z']{3,}", str(row.cues_en).lower())
        cues[row.emotion] = [word for word in words if word]
    return cues


@dataclass
class TrainingData:
    """Gold train rows: the comment, its post, and the two labels."""

    content: list[str]
    post_text: list[str]
    emotion: list[str]
    stance: list[str]

    def fingerprint(self) -> str:
        rows = sorted(zip(self.content, self.post_text, self.emotion, self.stance, strict=True))
        return stable_hash(*("\x1e".join(row) for row in rows), length=32)


class HeadsClassifier:
    backend = "heads"

    def __init__(
        self,
        training: TrainingData,
        embed_lookup: EmbedLookup,
        embedding_model_id: str,
        codebook: Codebook | None = None,
        cues: dict[str, list[str]] | None = None,
        regularisation: float = 4.0,
        cache_dir: Path | None = None,
    ):
        if not training.content:
            raise ValueError("the heads classifier needs labelled training rows (gold seed, split = 'train')")
        self.training = training
        self.embed_lookup = embed_lookup
        self.codebook = codebook or load_codebook()
        self.cues = cues or {}
        self.regularisation = regularisation
        self.model_id = embedding_model_id
        self.version = stable_hash(FEATURE_VERSION, embedding_model_id, str(regularisation),
                                   stable_hash(*sorted(f"{k}={v}" for k, v in self.cues.items())),
                                   training.fingerprint())
        self.cache_dir = cache_dir
        self._fitted = False

    # features -----------------------------------------------------------------------------------------------
    def _emotion_features(self, texts: Sequence[str], comment_vectors: np.ndarray) -> np.ndarray:
        cue_matrix = cue_features(texts, self.cues, self.codebook.emotions)
        return np.hstack([comment_vectors, cue_matrix])

    @staticmethod
    def _stance_features(comment_vectors: np.ndarray, post_vectors: np.ndarray) -> np.ndarray:
        return np.hstack([comment_vectors, post_vectors, comment_vectors * post_vectors * 10.0])

    def _logistic(self) -> LogisticRegression:
        return LogisticRegression(C=self.regularisation, max_iter=3000, class_weight="balanced")

    def fit(self) -> HeadsClassifier:
        if self.cache_dir is not None:
            cached = self.cache_dir / f"heads-{self.version}.pickle"
            if cached.exists():
                # Same version = same training rows, embeddings and features: the fitted heads are reused.
                self.__dict__.update(pickle.loads(cached.read_bytes()))
                self._fitted = True
                return self
        data = self.training
        comment_vectors = self.embed_lookup(data.content)
        post_vectors = self.embed_lookup(data.post_text)
        self.emotion_embedding_head = self._logistic().fit(
            self._emotion_features(data.content, comment_vectors), data.emotion)
        self.stance_embedding_head = self._logistic().fit(
            self._stance_features(comment_vectors, post_vectors), data.stance)
        self.ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                                      lowercase=True)
        ngram_matrix = self.ngrams.fit_transform(data.content)
        self.emotion_ngram_head = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced").fit(
            ngram_matrix, data.emotion)
        self.stance_ngram_head = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced").fit(
            ngram_matrix, data.stance)
        self._fitted = True
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fitted = {name: getattr(self, name) for name in FITTED_ATTRIBUTES}
            temporary = self.cache_dir / f".heads-{self.version}.tmp"
            temporary.write_bytes(pickle.dumps(fitted))
            temporary.replace(self.cache_dir / f"heads-{self.version}.pickle")
        return self

    @staticmethod
    def _blend(first: LogisticRegression, first_x, second: LogisticRegression, second_x) -> tuple[np.ndarray, np.ndarray]:
        classes = first.classes_
        second_probabilities = second.predict_proba(second_x)
        second_aligned = second_probabilities[:, [list(second.classes_).index(c) for c in classes]]
        probabilities = (first.predict_proba(first_x) + second_aligned) / 2.0
        return classes, probabilities

    def predict_frame(self, contents: Sequence[str], contexts: Sequence[str]) -> pd.DataFrame:
        if not self._fitted:
            self.fit()
        comment_vectors = self.embed_lookup(contents)
        post_vectors = self.embed_lookup(contexts)
        ngram_matrix = self.ngrams.transform(contents)
        emotion_classes, emotion_probabilities = self._blend(
            self.emotion_embedding_head, self._emotion_features(contents, comment_vectors),
            self.emotion_ngram_head, ngram_matrix)
        stance_classes, stance_probabilities = self._blend(
            self.stance_embedding_head, self._stance_features(comment_vectors, post_vectors),
            self.stance_ngram_head, ngram_matrix)
        return pd.DataFrame({
            "emotion": emotion_classes[emotion_probabilities.argmax(axis=1)],
            "emotion_confidence": emotion_probabilities.max(axis=1),
            "stance": stance_classes[stance_probabilities.argmax(axis=1)],
            "stance_confidence": stance_probabilities.max(axis=1),
        })

    def classify(self, items: list[ClassificationItem]) -> list[ClassificationResult]:
        if not items:
            return []
        frame = self.predict_frame([item.text for item in items], [item.context or "" for item in items])
        return [
            ClassificationResult(
                key=item.key,
                emotion=str(row.emotion),
                stance=str(row.stance),
                emotion_confidence=float(row.emotion_confidence),
                stance_confidence=float(row.stance_confidence),
            )
            for item, row in zip(items, frame.itertuples(index=False), strict=True)
        ]
