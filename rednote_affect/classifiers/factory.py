"""Builds the classifier the dbt vars ask for: heads (default), transformers or llm."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rednote_affect.classifiers.base import ClassifierBackend, load_codebook
from rednote_affect.classifiers.heads import HeadsClassifier, TrainingData, load_cues, load_lexicon

BACKENDS = ("heads", "transformers", "llm")


def build_classifier(
    config: Mapping[str, object],
    training: TrainingData | None = None,
    embed_lookup: Callable[[Sequence[str], Sequence[str]], np.ndarray] | None = None,
    embedding_model_id: str | None = None,
    label_map: pd.DataFrame | None = None,
    codebook_emotions: pd.DataFrame | None = None,
    cue_lexicon: pd.DataFrame | None = None,
    cache_dir: Path | None = None,
) -> ClassifierBackend:
    backend = str(config.get("classifier_backend") or "heads")
    if backend == "heads":
        if training is None or embed_lookup is None or not embedding_model_id:
            raise ValueError("the heads classifier needs gold training rows and an embedding lookup")
        cues = load_cues(codebook_emotions) if codebook_emotions is not None else {}
        return HeadsClassifier(
            training,
            embed_lookup,
            embedding_model_id,
            codebook=load_codebook(),
            cues=cues,
            lexicon=load_lexicon(cue_lexicon) if cue_lexicon is not None else {},
            cache_dir=cache_dir,
        )
    if backend == "transformers":
        from rednote_affect.classifiers.transformers_backend import TransformersClassifier

        emotion_checkpoint = str(config.get("transformers_emotion_checkpoint") or "")
        if not emotion_checkpoint:
            raise ValueError(
                "classifier_backend 'transformers' needs the var transformers_emotion_checkpoint"
            )
        return TransformersClassifier(
            emotion_checkpoint=emotion_checkpoint,
            stance_checkpoint=str(config.get("transformers_stance_checkpoint") or "") or None,
            mode=str(config.get("transformers_mode") or "classifier"),
            label_map=label_map,
            batch_size=int(config.get("inference_batch_size") or 32),
        )
    if backend == "llm":
        from rednote_affect.classifiers.llm_backend import LLMClassifier

        base_url = str(config.get("llm_base_url") or "")
        model = str(config.get("classifier_model") or "")
        if not base_url or not model:
            raise ValueError("classifier_backend 'llm' needs the vars llm_base_url and classifier_model")
        return LLMClassifier(
            base_url=base_url,
            model=model,
            api_key_env=str(config.get("llm_api_key_env") or "OPENAI_API_KEY"),
            max_concurrency=int(config.get("llm_max_concurrency") or 4),
            requests_per_minute=float(config.get("llm_requests_per_minute") or 600),
            response_format=str(config.get("llm_response_format") or "json_schema"),
        )
    raise ValueError(f"unknown classifier_backend {backend!r}; expected one of {', '.join(BACKENDS)}")
