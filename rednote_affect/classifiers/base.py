"""The interface every comment classifier backend implements.

A backend takes items (a comment's normalized text plus its post as context) and returns one result per item, in
order. A result is never dropped: an item the backend could not label comes back with status "unclassified" and the
error kept, so that the warehouse can show it and retry it later.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

UNCLASSIFIED = "unclassified"
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"


@dataclass(frozen=True)
class ClassificationItem:
    key: str  # stable cache key of (text, context); results are matched back on it
    text: str  # the comment, normalized
    context: str | None = None  # the post (title + desc) the comment sits under
    text_hash: str | None = (
        None  # the warehouse's hashes of text and context (macros/text_hash.sql), where the
    )
    context_hash: str | None = None  # backend reads stored embeddings


@dataclass(frozen=True)
class ClassificationResult:
    key: str
    emotion: str  # a codebook emotion, or "unclassified"
    stance: str  # a codebook stance, or "unclassified"
    emotion_confidence: float | None = None
    stance_confidence: float | None = None
    status: str = "ok"  # "ok" or "unclassified"
    error: str | None = None  # why it is unclassified; never contains secrets


class ClassifierBackend(Protocol):
    backend: str  # "heads" | "transformers" | "llm"
    model_id: str  # checkpoint path, embedding model or LLM model name
    version: str  # hash of what determines the labels: heads' training data, checkpoint files, or prompt

    def classify(self, items: list[ClassificationItem]) -> list[ClassificationResult]: ...


@dataclass(frozen=True)
class Codebook:
    emotions: tuple[str, ...]
    emotion_descriptions: dict[str, str]
    emotion_valence: dict[str, str]
    stances: tuple[str, ...]
    stance_descriptions: dict[str, str]
    themes: tuple[str, ...]
    theme_descriptions: dict[str, str]


def load_codebook(seeds_dir: Path = SEEDS_DIR) -> Codebook:
    """Read the codebook seeds (seeds/codebook/*.csv), the single source of label strings."""

    def rows(name: str) -> list[dict[str, str]]:
        with (seeds_dir / "codebook" / name).open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    emotions = rows("codebook_emotions.csv")
    stances = rows("codebook_stances.csv")
    themes = rows("codebook_themes.csv")
    return Codebook(
        emotions=tuple(r["emotion"] for r in emotions),
        emotion_descriptions={r["emotion"]: r["description_en"] for r in emotions},
        emotion_valence={r["emotion"]: r["valence"] for r in emotions},
        stances=tuple(r["stance"] for r in stances),
        stance_descriptions={r["stance"]: r["description_en"] for r in stances},
        themes=tuple(r["theme"] for r in themes),
        theme_descriptions={r["theme"]: r["description_en"] for r in themes},
    )


def stable_hash(*parts: str, length: int = 16) -> str:
    """sha256 over the parts joined by a unit separator; used for cache keys and versions."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]
