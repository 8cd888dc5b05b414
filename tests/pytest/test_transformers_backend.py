"""Tests of the transformers backend on tiny randomly initialized BERT checkpoints built here (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tiny_models import SPECIAL_TOKENS, save_tiny_bert  # noqa: E402

from rednote_affect.classifiers.base import UNCLASSIFIED, ClassificationItem, load_codebook  # noqa: E402
from rednote_affect.classifiers.transformers_backend import (  # noqa: E402
    EMOTION_HYPOTHESIS_TEMPLATE,
    NO_STANCE_CHECKPOINT_ERROR,
    TransformersClassifier,
    load_label_map,
)

VOCABULARY = [
    *SPECIAL_TOKENS,
    "this",
    "comment",
    "expresses",
    "the",
    "stance",
    "of",
    "a",
    "reply",
    "to",
    "post",
    "welcome",
    "rednote",
    "thank",
    "you",
    "so",
    "much",
    "china",
    "america",
    "is",
    "free",
    "beautiful",
    "why",
    "how",
    "lol",
    "haha",
    "sad",
    "angry",
    "get",
    "out",
    "food",
    "cat",
    "tax",
    "happiness",
    "fun",
    "thanks",
    "no",
    "emotion",
    ",",
    ".",
    ":",
    "(",
    ")",
    ";",
    "or",
    "and",
    "with",
    "in",
    "on",
    "##s",
    "##ing",
    "你",
    "好",
    "中",
    "国",
    "欢",
    "迎",
    "来",
    "小",
    "红",
    "书",
    "哈",
    "谢",
    "美",
    "滚",
]
GO_EMOTIONS_LABELS = {
    0: "admiration",
    1: "annoyance",
    2: "joy",
    3: "neutral",
    4: "curiosity",
    5: "disapproval",
}
STANCE_LABELS = {0: "pro_china", 1: "neutral", 2: "pro_foreign"}
NLI_LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}

TEXTS = [
    "welcome to rednote",
    "哈哈哈 你好",
    "why is the food so beautiful , thank you so much and welcome to rednote , haha lol",
    "滚",
    "cat tax",
    "china is free , america is sad , get out",
    "",
    "欢迎来小红书 谢谢 美 美 美",
]


def build_checkpoint(
    directory: Path, id2label: dict[int, str], seed: int = 0, forced_class: int | None = None
) -> str:
    """Save a tiny random BertForSequenceClassification and its WordPiece tokenizer; optionally force one class."""

    def force(model) -> None:
        if forced_class is not None:
            with torch.no_grad():
                model.classifier.bias[forced_class] = 1000.0

    torch.manual_seed(seed)
    sizes = (32, 2, 37, 128)  # hidden size, layers, intermediate size, positions
    save_tiny_bert(
        directory,
        VOCABULARY,
        transformers.BertForSequenceClassification,
        sizes,
        adjust=force,
        initializer_range=0.5,  # wide random weights, so that predictions differ between texts
        id2label=id2label,
        label2id={label: index for index, label in id2label.items()},
    )
    return str(directory)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("checkpoints")
    return {
        "emotion": build_checkpoint(root / "emotion", GO_EMOTIONS_LABELS, seed=1),
        "emotion_other_seed": build_checkpoint(root / "emotion_other_seed", GO_EMOTIONS_LABELS, seed=2),
        "stance": build_checkpoint(root / "stance", STANCE_LABELS, seed=3),
        "admiration": build_checkpoint(root / "admiration", GO_EMOTIONS_LABELS, forced_class=0),
        "annoyance": build_checkpoint(root / "annoyance", GO_EMOTIONS_LABELS, forced_class=1),
        "joy": build_checkpoint(root / "joy", GO_EMOTIONS_LABELS, forced_class=2),
        "mystery": build_checkpoint(root / "mystery", {0: "joy", 1: "mystery_label"}, forced_class=1),
        "nli": build_checkpoint(root / "nli", NLI_LABELS, seed=4),
        "not_nli": build_checkpoint(root / "not_nli", {0: "yes", 1: "no"}, seed=5),
    }


@pytest.fixture(scope="module")
def label_map() -> pd.DataFrame:
    return load_label_map()


def make_items(texts: list[str], context: str | None = None) -> list[ClassificationItem]:
    return [
        ClassificationItem(key=f"key-{index}", text=text, context=context) for index, text in enumerate(texts)
    ]


def test_label_map_seed_covers_go_emotions_with_codebook_labels(label_map: pd.DataFrame) -> None:
    codebook = load_codebook()
    assert list(label_map.columns) == ["task", "model_label", "codebook_label"]
    emotion_rows = label_map[label_map["task"] == "emotion"]
    assert set(emotion_rows["codebook_label"]) <= set(codebook.emotions)
    assert len(emotion_rows) == 28 and emotion_rows["model_label"].is_unique
    mapping = dict(zip(emotion_rows["model_label"], emotion_rows["codebook_label"], strict=True))
    assert (
        mapping["admiration"] == "praise"
        and mapping["caring"] == "warmth"
        and mapping["disapproval"] == "contempt"
    )


def test_loads_and_returns_one_codebook_result_per_item_in_order(checkpoints, label_map) -> None:
    log_lines: list[str] = []
    classifier = TransformersClassifier(
        checkpoints["emotion"],
        checkpoints["stance"],
        "classifier",
        label_map,
        batch_size=3,
        log=log_lines.append,
    )
    assert classifier.backend == "transformers"
    assert classifier.model_id == f"{checkpoints['emotion']} | {checkpoints['stance']}"
    results = classifier.classify(make_items(TEXTS, context="welcome to rednote , cat tax"))
    codebook = load_codebook()
    assert [result.key for result in results] == [f"key-{index}" for index in range(len(TEXTS))]
    for result in results:
        assert result.status == "ok" and result.error is None
        assert result.emotion in codebook.emotions and result.stance in codebook.stances
        assert 0.0 < result.emotion_confidence <= 1.0 and 0.0 < result.stance_confidence <= 1.0
    assert any(line.startswith("transformers emotion: 8/8") and line.endswith("done") for line in log_lines)
    assert classifier.classify([]) == []


def test_batching_and_length_sorting_match_batch_size_one(checkpoints, label_map) -> None:
    items = make_items(TEXTS, context="china is free")
    one_by_one = TransformersClassifier(
        checkpoints["emotion"], checkpoints["stance"], "classifier", label_map, batch_size=1
    ).classify(items)
    batched_classifier = TransformersClassifier(
        checkpoints["emotion"], checkpoints["stance"], "classifier", label_map, batch_size=3
    )
    batched = batched_classifier.classify(items)
    reversed_batched = batched_classifier.classify(items[::-1])[::-1]
    for expected, *others in zip(one_by_one, batched, reversed_batched, strict=True):
        for other in others:
            assert (other.key, other.emotion, other.stance) == (
                expected.key,
                expected.emotion,
                expected.stance,
            )
            assert other.emotion_confidence == pytest.approx(expected.emotion_confidence, abs=1e-5)
            assert other.stance_confidence == pytest.approx(expected.stance_confidence, abs=1e-5)
    # The random model does not give every text the same answer, so order restoration is really tested.
    assert len({(result.emotion, round(result.emotion_confidence, 4)) for result in one_by_one}) > 1


def test_stance_reads_the_post_as_context(checkpoints, label_map) -> None:
    classifier = TransformersClassifier(
        checkpoints["emotion"], checkpoints["stance"], "classifier", label_map
    )
    without_context = classifier.classify(make_items(["welcome to rednote"]))[0]
    with_context = classifier.classify(
        make_items(["welcome to rednote"], context="china is free , america is sad")
    )[0]
    assert with_context.emotion_confidence == pytest.approx(without_context.emotion_confidence, abs=1e-6)
    assert with_context.stance_confidence != pytest.approx(without_context.stance_confidence, abs=1e-6)


@pytest.mark.parametrize(
    ("checkpoint_name", "expected_emotion"), [("admiration", "praise"), ("annoyance", "anger")]
)
def test_model_labels_map_through_the_table(
    checkpoints, label_map, checkpoint_name, expected_emotion
) -> None:
    results = TransformersClassifier(
        checkpoints[checkpoint_name], checkpoints["stance"], "classifier", label_map
    ).classify(make_items(TEXTS[:3]))
    assert {result.emotion for result in results} == {expected_emotion}
    assert all(
        result.status == "ok" and result.emotion_confidence == pytest.approx(1.0) for result in results
    )


def test_label_named_like_a_codebook_label_maps_to_itself_without_a_row(checkpoints) -> None:
    empty_map = pd.DataFrame(columns=["task", "model_label", "codebook_label"])
    result = TransformersClassifier(
        checkpoints["joy"], checkpoints["stance"], "classifier", empty_map
    ).classify(make_items(["lol"]))[0]
    assert (result.emotion, result.status) == ("joy", "ok")
    # Without a row, "admiration" is not a codebook label: it must not be guessed.
    result = TransformersClassifier(
        checkpoints["admiration"], checkpoints["stance"], "classifier", empty_map
    ).classify(make_items(["lol"]))[0]
    assert (result.emotion, result.status) == (UNCLASSIFIED, "unclassified")
    assert result.error == "unmapped emotion model label 'admiration'"


def test_unmapped_label_is_unclassified_with_the_error(checkpoints, label_map) -> None:
    results = TransformersClassifier(
        checkpoints["mystery"], checkpoints["stance"], "classifier", label_map
    ).classify(make_items(TEXTS[:4]))
    assert len(results) == 4
    for result in results:
        assert result.emotion == UNCLASSIFIED and result.emotion_confidence is None
        assert (
            result.status == "unclassified" and result.error == "unmapped emotion model label 'mystery_label'"
        )
        assert result.stance in load_codebook().stances  # the other task is still labeled


def test_without_stance_checkpoint_stance_is_unclassified(checkpoints, label_map) -> None:
    result = TransformersClassifier(checkpoints["joy"], None, "classifier", label_map).classify(
        make_items(["lol"])
    )[0]
    assert (result.emotion, result.stance, result.status) == ("joy", UNCLASSIFIED, "unclassified")
    assert result.error == NO_STANCE_CHECKPOINT_ERROR and result.stance_confidence is None


def test_zero_shot_nli_returns_codebook_labels_by_entailment(checkpoints) -> None:
    codebook = load_codebook()
    classifier = TransformersClassifier(checkpoints["nli"], None, "zero_shot", None, batch_size=16)
    results = classifier.classify(make_items(TEXTS, context="welcome to rednote"))
    assert len(results) == len(TEXTS)
    for result in results:
        assert (
            result.status == "ok"
            and result.emotion in codebook.emotions
            and result.stance in codebook.stances
        )
        assert 0.0 < result.emotion_confidence < 1.0 and 0.0 < result.stance_confidence < 1.0

    # Recompute one item by hand: the winning emotion has the highest entailment logit over the hypotheses.
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoints["nli"], local_files_only=True)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        checkpoints["nli"], local_files_only=True
    )
    hypotheses = [
        EMOTION_HYPOTHESIS_TEMPLATE.format(description=codebook.emotion_descriptions[label])
        for label in codebook.emotions
    ]
    with torch.no_grad():
        encoded = tokenizer([TEXTS[2]] * len(hypotheses), hypotheses, padding=True, return_tensors="pt")
        entailment_logits = model.eval()(**encoded).logits[:, 0].numpy()
    probabilities = np.exp(entailment_logits - entailment_logits.max())
    probabilities /= probabilities.sum()
    assert results[2].emotion == codebook.emotions[int(entailment_logits.argmax())]
    assert results[2].emotion_confidence == pytest.approx(float(probabilities.max()), abs=1e-5)

    # The stance premise carries the post; the emotion premise does not. The same texts go in the same batches,
    # so padding is identical and the emotion scores must match to the last bit (a batch of 1 against a batch of
    # 4 pads differently, and float sums then differ in the 7th digit).
    without_context = classifier.classify(make_items(TEXTS))[0]
    assert without_context.emotion_confidence == pytest.approx(results[0].emotion_confidence, abs=1e-6)
    assert without_context.stance_confidence != pytest.approx(results[0].stance_confidence, abs=1e-6)


def test_zero_shot_needs_an_entailment_label(checkpoints) -> None:
    with pytest.raises(ValueError, match="no entailment label"):
        TransformersClassifier(checkpoints["not_nli"], None, "zero_shot", None)


def test_version_tracks_label_map_weights_and_mode(checkpoints, label_map) -> None:
    def version(checkpoint: str, table: pd.DataFrame | None, mode: str = "classifier") -> str:
        return TransformersClassifier(checkpoints[checkpoint], None, mode, table).version

    baseline = version("emotion", label_map)
    assert version("emotion", label_map.copy()) == baseline
    changed_map = label_map.copy()
    changed_map.loc[changed_map["model_label"] == "approval", "codebook_label"] = "neutral"
    assert version("emotion", changed_map) != baseline
    assert version("emotion", label_map.iloc[:-1]) != baseline
    assert version("emotion_other_seed", label_map) != baseline
    assert version("nli", None, "zero_shot") != version("nli", None, "classifier")


def test_missing_checkpoint_gives_a_clear_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(FileNotFoundError) as error:
        TransformersClassifier(str(missing), None, "classifier", None)
    message = str(error.value)
    assert "\n" not in message and str(missing) in message and "config.json" in message


def test_bad_arguments_are_rejected(checkpoints) -> None:
    bad_map = pd.DataFrame({"task": ["emotion"], "model_label": ["joy"], "codebook_label": ["happy"]})
    with pytest.raises(ValueError, match="not a codebook emotion"):
        TransformersClassifier(checkpoints["joy"], None, "classifier", bad_map)
    with pytest.raises(ValueError, match="lacks columns"):
        TransformersClassifier(checkpoints["joy"], None, "classifier", pd.DataFrame({"task": ["emotion"]}))
    with pytest.raises(ValueError, match="mode must be one of"):
        TransformersClassifier(checkpoints["joy"], None, "few_shot", None)  # type: ignore[arg-type]
