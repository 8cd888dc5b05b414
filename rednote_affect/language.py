"""Language of a post or comment: zh, en, mixed, other, or none (no letters at all, e.g. emoji or stickers only).

Script decides first (Han characters, Latin letters, kana, Hangul, other alphabets); Latin-script text is then
identified by lingua (models ship inside the package, no download) to tell English from other languages.
A text is `mixed` when it carries Chinese and at least two Latin words making up a real share of it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyarrow as pa

LANGUAGES = ("zh", "en", "mixed", "other", "none")
STICKER = re.compile(r"\[[^\[\]\s]{1,12}\]")  # RedNote stickers: [笑哭R], [doge]
URL_OR_MENTION = re.compile(r"https?://\S+|www\.\S+|@\S+|#\S+")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
KANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")


@lru_cache(maxsize=1)
def _latin_detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.ENGLISH,
        Language.SPANISH,
        Language.FRENCH,
        Language.GERMAN,
        Language.PORTUGUESE,
        Language.ITALIAN,
        Language.DUTCH,
        Language.INDONESIAN,
        Language.TAGALOG,
        Language.VIETNAMESE,
        Language.TURKISH,
        Language.POLISH,
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _script_counts(text: str) -> dict[str, int]:
    stripped = URL_OR_MENTION.sub(" ", STICKER.sub(" ", text))
    han = len(HAN.findall(stripped))
    kana = len(KANA.findall(stripped))
    hangul = len(HANGUL.findall(stripped))
    latin_letters = len(LATIN_LETTER.findall(stripped))
    other_letters = sum(1 for char in stripped if char.isalpha()) - han - kana - hangul - latin_letters
    return {
        "han": han,
        "kana": kana,
        "hangul": hangul,
        "latin_letters": latin_letters,
        "latin_words": len(LATIN_WORD.findall(stripped)),
        "other_letters": max(other_letters, 0),
        "stripped": stripped,
    }


def _by_script(text: str) -> str | None:
    """The label when script alone decides it; None when Latin text needs identification."""
    counts = _script_counts(text or "")
    letters = (
        counts["han"] + counts["kana"] + counts["hangul"] + counts["latin_letters"] + counts["other_letters"]
    )
    if letters == 0:
        return "none"
    if counts["kana"] + counts["hangul"] > counts["han"] * 0.2 and counts["kana"] + counts["hangul"] > 0:
        return "other"
    if counts["han"] > 0:
        if counts["latin_words"] >= 2 and counts["latin_letters"] >= 0.3 * counts["han"]:
            return "mixed"
        return "zh"
    if counts["other_letters"] > counts["latin_letters"]:
        return "other"
    return None


def detect_languages(texts: list[str]) -> list[str]:
    labels = [_by_script(text) for text in texts]
    latin_positions = [index for index, label in enumerate(labels) if label is None]
    if latin_positions:
        from lingua import Language

        detected = _latin_detector().detect_languages_in_parallel_of([texts[i] for i in latin_positions])
        for index, language in zip(latin_positions, detected, strict=True):
            # Lingua cannot identify one or two words ("lol", "so cute"); on RedNote, short ASCII is English.
            is_short_ascii = texts[index].isascii() and len(LATIN_WORD.findall(texts[index])) < 3
            if language == Language.ENGLISH or is_short_ascii:
                labels[index] = "en"
            else:
                labels[index] = "other"
    return [str(label) for label in labels]


def detect_new_languages(texts: pa.Table, stored_hashes: set[str]) -> pa.Table:
    """dbt model int_texts_language_detected: languages of texts (text_hash, text) not yet detected."""
    frame = texts.select(["text_hash", "text"]).to_pandas()
    frame = frame[~frame["text_hash"].isin(stored_hashes)].sort_values("text_hash")
    languages = detect_languages([text or "" for text in frame["text"]])
    return pa.table(
        {
            "text_hash": pa.array(frame["text_hash"].tolist(), pa.string()),
            "language": pa.array(languages, pa.string()),
        }
    )
