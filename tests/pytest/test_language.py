import pyarrow as pa

from rednote_affect.language import detect_languages, detect_new_languages


def test_languages_of_typical_comments():
    cases = {
        "哈哈哈笑死我了家人们": "zh",
        "yyds 绝绝子": "zh",
        "Welcome to RedNote! so happy to see you here": "en",
        "lol": "en",
        "我们中国 so proud of it": "mixed",
        "cat tax 交猫税了 here is my cat": "mixed",
        "😂😂😂": "none",
        "[赞R][赞R]": "none",
        "Bonjour à tous, je suis très contente d'être ici": "other",
        "ありがとうございます": "other",
        "Привет друзья": "other",
    }
    assert dict(zip(cases, detect_languages(list(cases)), strict=True)) == cases


def test_only_new_texts_are_detected():
    table = pa.table({"text_hash": ["h1", "h2"], "text": ["你好", "hello there friends"]})
    result = detect_new_languages(table, {"h1"})
    assert result.to_pydict() == {"text_hash": ["h2"], "language": ["en"]}
