"""The "transformers" backend: any LOCAL Hugging Face sequence-classification checkpoint labels comments.

Two modes:

- ``mode="classifier"``: a fine-tuned classifier (e.g. a GoEmotions-style English emotion model). Its
  ``config.id2label`` labels are mapped to codebook labels through a label-map table with columns ``task``
  ("emotion" | "stance"), ``model_label``, ``codebook_label`` (the dbt seed ``seeds/lookups/classifier_label_map.csv``,
  read by :func:`load_label_map`). Matching is case-insensitive. A model label with no row whose name equals a codebook
  label maps to itself; any other label is never guessed: a comment predicted as it comes back ``unclassified`` with
  the error naming the label. Confidence = softmax probability of the predicted class. The stance model reads the
  comment and the post as a text pair (comment, post); without a stance checkpoint, stance is ``unclassified``.
- ``mode="zero_shot"``: an NLI checkpoint (entailment / neutral / contradiction). Every codebook label becomes one
  hypothesis built from its codebook description; the label whose hypothesis gets the highest entailment logit wins
  and confidence = softmax over the labels' entailment logits. The premise is the comment (for stance: the comment
  followed by the post). One NLI checkpoint serves both tasks unless a separate stance checkpoint is given.

Nothing is ever downloaded (``local_files_only=True``): a checkpoint is a directory with ``config.json``, weights and
tokenizer files, e.g. one saved earlier with ``save_pretrained``. Inference runs in eval mode under
``torch.no_grad``, with items sorted by token length into batches (less padding) and results restored to input order.

Example::

    from rednote_affect.classifiers.transformers_backend import TransformersClassifier, load_label_map

    classifier = TransformersClassifier(
        emotion_checkpoint="/models/go-emotions-roberta",
        stance_checkpoint=None,
        mode="classifier",
        label_map=load_label_map(),
    )
    results = classifier.classify(items)

``version`` hashes what determines the labels: each checkpoint's config.json, tokenizer files and weight bytes
(sha256), the mode, max_length, the codebook labels and descriptions, the zero-shot hypothesis templates and, in
classifier mode, the label-map rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from rednote_affect.classifiers.base import (
    SEEDS_DIR,
    UNCLASSIFIED,
    ClassificationItem,
    ClassificationResult,
    Codebook,
    load_codebook,
    stable_hash,
)
from rednote_affect.progress import Progress

LABEL_MAP_PATH = SEEDS_DIR / "lookups" / "classifier_label_map.csv"
LABEL_MAP_COLUMNS = ("task", "model_label", "codebook_label")
TASKS = ("emotion", "stance")
MODES = ("classifier", "zero_shot")

# Zero-shot hypotheses: one per codebook label, filled with the label's codebook description.
EMOTION_HYPOTHESIS_TEMPLATE = "This comment expresses {description}."
STANCE_HYPOTHESIS_TEMPLATE = "The stance of this comment: {description}."
# Zero-shot stance premise: the comment first, so that truncation cuts the post before the comment.
STANCE_PREMISE_TEMPLATE = "{comment}\n\n(A reply to the post: {context})"

NO_STANCE_CHECKPOINT_ERROR = "no stance checkpoint configured"
WEIGHT_FILE_PATTERNS = ("*.safetensors", "pytorch_model*.bin")
TOKENIZER_FILE_NAMES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
    "spm.model",
    "sentencepiece.bpe.model",
)


def load_label_map(path: Path = LABEL_MAP_PATH) -> pd.DataFrame:
    """Read the label-map seed (task, model_label, codebook_label) as strings."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _normalize_label(label: str) -> str:
    return str(label).strip().lower()


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


@dataclass
class _Checkpoint:
    """A loaded checkpoint and the fingerprint of the files that determine its outputs."""

    path: Path
    tokenizer: Any
    model: Any
    id2label: dict[int, str]
    label2id: dict[str, int]
    fingerprint: str


def _fingerprint_checkpoint(path: Path) -> str:
    weight_files = sorted({file for pattern in WEIGHT_FILE_PATTERNS for file in path.glob(pattern)})
    if not weight_files:
        raise FileNotFoundError(
            f"transformers checkpoint '{path}' has no weight files (*.safetensors or pytorch_model*.bin)"
        )
    tokenizer_files = [path / name for name in TOKENIZER_FILE_NAMES if (path / name).is_file()]
    digest = hashlib.sha256()
    for file in [path / "config.json", *tokenizer_files, *weight_files]:
        digest.update(f"{file.name}\x1f{_sha256_of_file(file)}\x1e".encode())
    return digest.hexdigest()


def _load_checkpoint(checkpoint: str, device: str) -> _Checkpoint:
    path = Path(checkpoint).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"transformers checkpoint not found: '{checkpoint}' is not a local checkpoint directory with config.json "
            "(models are never downloaded; save one with save_pretrained first)"
        )
    fingerprint = _fingerprint_checkpoint(path)
    # Imported here: torch and transformers take seconds to import, and only this backend needs them.
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token  # decoder-only classifiers (GPT-2 style) ship without one
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    model.to(device)
    id2label = {int(index): str(label) for index, label in model.config.id2label.items()}
    label2id = {str(label): int(index) for label, index in (model.config.label2id or {}).items()}
    return _Checkpoint(path, tokenizer, model, id2label, label2id, fingerprint)


def _entailment_index(checkpoint: _Checkpoint) -> int:
    """The class index whose label2id key contains "entail" (case-insensitive)."""
    for label, index in checkpoint.label2id.items():
        if "entail" in label.lower():
            return index
    raise ValueError(
        f"zero-shot checkpoint '{checkpoint.path}' has no entailment label in config.label2id "
        f"({sorted(checkpoint.label2id)}); an NLI model is needed"
    )


def _label_map_lookup(label_map: pd.DataFrame | None, codebook: Codebook) -> dict[tuple[str, str], str]:
    """Validate the label-map table and return {(task, normalized model label): codebook label}."""
    if label_map is None:
        return {}
    missing = [column for column in LABEL_MAP_COLUMNS if column not in label_map.columns]
    if missing:
        raise ValueError(f"label map lacks columns {missing}; expected {list(LABEL_MAP_COLUMNS)}")
    allowed = {"emotion": set(codebook.emotions), "stance": set(codebook.stances)}
    lookup: dict[tuple[str, str], str] = {}
    for task, model_label, codebook_label in (
        label_map[list(LABEL_MAP_COLUMNS)].astype(str).itertuples(index=False)
    ):
        task, codebook_label = task.strip(), codebook_label.strip()
        if task not in allowed:
            raise ValueError(f"label map row has task '{task}'; expected one of {list(TASKS)}")
        if codebook_label not in allowed[task]:
            raise ValueError(
                f"label map maps {task} '{model_label}' to '{codebook_label}', not a codebook {task}"
            )
        key = (task, _normalize_label(model_label))
        if lookup.get(key, codebook_label) != codebook_label:
            raise ValueError(
                f"label map maps {task} '{model_label}' to both '{lookup[key]}' and '{codebook_label}'"
            )
        lookup[key] = codebook_label
    return lookup


def _class_mapping(
    task: str, id2label: dict[int, str], lookup: dict[tuple[str, str], str], codebook_labels: tuple[str, ...]
) -> dict[int, tuple[str, str | None]]:
    """For each class index: (codebook label, None) or (UNCLASSIFIED, error naming the unmapped model label)."""
    mapping: dict[int, tuple[str, str | None]] = {}
    for index, model_label in id2label.items():
        normalized = _normalize_label(model_label)
        if (task, normalized) in lookup:
            mapping[index] = (lookup[(task, normalized)], None)
        elif normalized in codebook_labels:
            mapping[index] = (normalized, None)
        else:
            mapping[index] = (UNCLASSIFIED, f"unmapped {task} model label '{model_label}'")
    return mapping


@dataclass
class _TaskPrediction:
    labels: list[str]
    confidences: list[float | None]
    errors: list[str | None]


class TransformersClassifier:
    """Emotion and stance from local Hugging Face checkpoints; see the module docstring."""

    backend = "transformers"

    def __init__(
        self,
        emotion_checkpoint: str,
        stance_checkpoint: str | None = None,
        mode: Literal["classifier", "zero_shot"] = "classifier",
        label_map: pd.DataFrame | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        device: str = "cpu",
        *,
        codebook: Codebook | None = None,
        log: Callable[[str], None] | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, not '{mode}'")
        if batch_size < 1 or max_length < 8:
            raise ValueError("batch_size must be >= 1 and max_length >= 8")
        self.mode = mode
        self.batch_size = int(batch_size)
        self.max_length = int(max_length)
        self.device = device
        self.codebook = codebook or load_codebook()
        self.log = log
        self._label_lookup = _label_map_lookup(label_map, self.codebook) if mode == "classifier" else {}

        self._emotion_checkpoint = _load_checkpoint(emotion_checkpoint, device)
        if stance_checkpoint is not None:
            self._stance_checkpoint: _Checkpoint | None = _load_checkpoint(stance_checkpoint, device)
        elif mode == "zero_shot":
            self._stance_checkpoint = self._emotion_checkpoint  # one NLI model answers both tasks
        else:
            self._stance_checkpoint = None

        if mode == "zero_shot":
            self._emotion_entailment = _entailment_index(self._emotion_checkpoint)
            self._stance_entailment = _entailment_index(self._stance_checkpoint)
        else:
            self._emotion_classes = _class_mapping(
                "emotion", self._emotion_checkpoint.id2label, self._label_lookup, self.codebook.emotions
            )
            self._stance_classes = (
                _class_mapping(
                    "stance", self._stance_checkpoint.id2label, self._label_lookup, self.codebook.stances
                )
                if self._stance_checkpoint is not None
                else {}
            )

        self.model_id = (
            emotion_checkpoint if stance_checkpoint is None else f"{emotion_checkpoint} | {stance_checkpoint}"
        )
        self.version = self._compute_version()

    def __repr__(self) -> str:
        return f"TransformersClassifier(mode={self.mode!r}, model_id={self.model_id!r}, version={self.version!r})"

    def _compute_version(self) -> str:
        stance_fingerprint = (
            self._stance_checkpoint.fingerprint if self._stance_checkpoint is not None else ""
        )
        codebook_text = repr(
            (
                self.codebook.emotions,
                self.codebook.emotion_descriptions,
                self.codebook.stances,
                self.codebook.stance_descriptions,
            )
        )
        parts = [
            self.backend,
            self.mode,
            self._emotion_checkpoint.fingerprint,
            stance_fingerprint,
            str(self.max_length),
            codebook_text,
        ]
        if self.mode == "zero_shot":
            parts += [EMOTION_HYPOTHESIS_TEMPLATE, STANCE_HYPOTHESIS_TEMPLATE, STANCE_PREMISE_TEMPLATE]
        else:
            parts.append(
                repr(sorted((task, label, target) for (task, label), target in self._label_lookup.items()))
            )
        return stable_hash(*parts)

    # -- inference -------------------------------------------------------------------------------------------

    def _encode(
        self, tokenizer: Any, firsts: list[str], seconds: list[str | None]
    ) -> list[dict[str, list[int]]]:
        """Tokenise without padding; single texts and text pairs are tokenised in two groups."""
        encodings: list[dict[str, list[int]]] = [{} for _ in firsts]
        singles = [index for index, second in enumerate(seconds) if second is None]
        pairs = [index for index, second in enumerate(seconds) if second is not None]
        if singles:
            encoded = tokenizer([firsts[i] for i in singles], truncation=True, max_length=self.max_length)
            for position, index in enumerate(singles):
                encodings[index] = {name: values[position] for name, values in encoded.items()}
        if pairs:
            encoded = tokenizer(
                [firsts[i] for i in pairs],
                [seconds[i] for i in pairs],
                truncation="longest_first",
                max_length=self.max_length,
            )
            for position, index in enumerate(pairs):
                encodings[index] = {name: values[position] for name, values in encoded.items()}
        return encodings

    def _logits(
        self, checkpoint: _Checkpoint, encodings: list[dict[str, list[int]]], label: str
    ) -> np.ndarray:
        """Logits for every encoding, computed in length-sorted batches, returned in input order."""
        import torch

        logits = np.zeros((len(encodings), len(checkpoint.id2label)), dtype=np.float32)
        order = sorted(range(len(encodings)), key=lambda index: len(encodings[index]["input_ids"]))
        progress = Progress(len(encodings), label, log=self.log)
        with torch.no_grad():
            for start in range(0, len(order), self.batch_size):
                batch_indices = order[start : start + self.batch_size]
                batch = checkpoint.tokenizer.pad(
                    [encodings[index] for index in batch_indices], padding=True, return_tensors="pt"
                )
                batch = {name: tensor.to(self.device) for name, tensor in batch.items()}
                output = checkpoint.model(**batch).logits.float().cpu().numpy()
                logits[batch_indices] = output
                progress.update(len(batch_indices))
        if encodings:
            progress.finish()
        return logits

    def _classify_with_classifier(
        self,
        checkpoint: _Checkpoint,
        classes: dict[int, tuple[str, str | None]],
        firsts: list[str],
        seconds: list[str | None],
        task: str,
    ) -> _TaskPrediction:
        probabilities = _softmax(
            self._logits(
                checkpoint, self._encode(checkpoint.tokenizer, firsts, seconds), f"transformers {task}"
            )
        )
        prediction = _TaskPrediction([], [], [])
        for row in probabilities:
            best = int(row.argmax())
            label, error = classes[best]
            prediction.labels.append(label)
            prediction.confidences.append(float(row[best]) if error is None else None)
            prediction.errors.append(error)
        return prediction

    def _classify_zero_shot(
        self,
        checkpoint: _Checkpoint,
        entailment_index: int,
        premises: list[str],
        labels: tuple[str, ...],
        hypotheses: list[str],
        task: str,
    ) -> _TaskPrediction:
        firsts = [premise for premise in premises for _ in hypotheses]
        seconds: list[str | None] = [hypothesis for _ in premises for hypothesis in hypotheses]
        logits = self._logits(
            checkpoint,
            self._encode(checkpoint.tokenizer, firsts, seconds),
            f"transformers zero-shot {task} (premise, hypothesis) pairs",
        )
        entailment = logits[:, entailment_index].reshape(len(premises), len(hypotheses))
        probabilities = _softmax(entailment)
        best = probabilities.argmax(axis=1)
        return _TaskPrediction(
            labels=[labels[int(index)] for index in best],
            confidences=[float(row[int(index)]) for row, index in zip(probabilities, best, strict=True)],
            errors=[None] * len(premises),
        )

    def classify(self, items: list[ClassificationItem]) -> list[ClassificationResult]:
        if not items:
            return []
        texts = [item.text or "" for item in items]
        contexts = [item.context if item.context and item.context.strip() else None for item in items]
        if self.mode == "zero_shot":
            emotion = self._classify_zero_shot(
                self._emotion_checkpoint,
                self._emotion_entailment,
                texts,
                self.codebook.emotions,
                [
                    EMOTION_HYPOTHESIS_TEMPLATE.format(description=self.codebook.emotion_descriptions[label])
                    for label in self.codebook.emotions
                ],
                "emotion",
            )
            premises = [
                text if context is None else STANCE_PREMISE_TEMPLATE.format(comment=text, context=context)
                for text, context in zip(texts, contexts, strict=True)
            ]
            stance = self._classify_zero_shot(
                self._stance_checkpoint,
                self._stance_entailment,
                premises,
                self.codebook.stances,
                [
                    STANCE_HYPOTHESIS_TEMPLATE.format(description=self.codebook.stance_descriptions[label])
                    for label in self.codebook.stances
                ],
                "stance",
            )
        else:
            emotion = self._classify_with_classifier(
                self._emotion_checkpoint, self._emotion_classes, texts, [None] * len(texts), "emotion"
            )
            if self._stance_checkpoint is None:
                stance = _TaskPrediction(
                    [UNCLASSIFIED] * len(items),
                    [None] * len(items),
                    [NO_STANCE_CHECKPOINT_ERROR] * len(items),
                )
            else:
                stance = self._classify_with_classifier(
                    self._stance_checkpoint, self._stance_classes, texts, contexts, "stance"
                )

        results = []
        for index, item in enumerate(items):
            errors = [error for error in (emotion.errors[index], stance.errors[index]) if error]
            results.append(
                ClassificationResult(
                    key=item.key,
                    emotion=emotion.labels[index],
                    stance=stance.labels[index],
                    emotion_confidence=emotion.confidences[index],
                    stance_confidence=stance.confidences[index],
                    # A result with either label unclassified is unclassified; the other label is still kept.
                    status="unclassified" if errors else "ok",
                    error="; ".join(errors) if errors else None,
                )
            )
        return results
