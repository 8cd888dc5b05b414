"""The opt-in identity classifier (rednote_affect/identity.py): features, the held-out-author split, predictions."""

import numpy as np
import pandas as pd
import pytest

import rednote_affect.identity as identity_module
from rednote_affect.identity import (
    IDENTITIES,
    author_chunks,
    author_means,
    infer_identities,
    is_test_author,
    output_schema,
    script_shares,
    whole_authors,
)

CHINESE = [
    "哈哈哈笑死我了",
    "欢迎来小红书玩",
    "这个好好吃啊",
    "我们这边也是这样的",
    "真的吗太厉害了",
    "加油加油",
    "我家猫也这样",
    "楼主好可爱",
    "绝了绝了",
    "下次来重庆吃火锅",
]
FOREIGN = [
    "lol this is so fun",
    "welcome to rednote",
    "that looks delicious",
    "same thing here in ohio",
    "wait really?? amazing",
    "you got this",
    "my cat does that too",
    "you look so cute",
    "this is fire",
    "come visit texas sometime",
]


def corpus(authors_per_identity=12, comments_per_author=3, unknown_authors=4):
    rows = []
    for identity, texts in (("chinese", CHINESE), ("foreign", FOREIGN)):
        for author in range(authors_per_identity + unknown_authors):
            known = author < authors_per_identity
            for index in range(comments_per_author):
                text = texts[(author + index * 3) % len(texts)] + f" {author}"
                rows.append(
                    {
                        "comment_id": f"{identity[0]}{author}-{index}",
                        "author_key": f"{identity}-{author}",
                        "content": text,
                        "identity": identity if known else "unknown",
                        "identity_source": "ip_location" if known else "unknown",
                        "truth": identity,
                    }
                )
    return pd.DataFrame(rows)


def test_script_shares():
    shares = script_shares(["你好 hello", "ok", "🙂🙂", ""])
    assert shares[0, 0] == pytest.approx(2 / 7) and shares[0, 1] == pytest.approx(5 / 7)
    assert shares[1, 1] == 1.0 and shares[1, 0] == 0.0
    assert shares[2].tolist() == [0, 0, 0, 0, 0]  # emoji only: no letters
    assert shares[3].tolist() == [0, 0, 0, 0, 0]


def test_author_means_average_within_the_author():
    matrix = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]], dtype=np.float32)
    means = author_means(matrix, ["a", "a", "b"])
    assert means.tolist() == [[2.0, 1.0], [2.0, 1.0], [5.0, 5.0]]


def test_split_is_by_author_and_stable():
    keys = [f"author-{i}" for i in range(2000)]
    held_out = [key for key in keys if is_test_author(key)]
    assert 0.25 < len(held_out) / len(keys) < 0.35
    assert held_out == [key for key in keys if is_test_author(key)]


def test_held_out_authors_never_train_and_unknown_comments_are_labeled():
    comments = corpus()
    result = infer_identities(comments.drop(columns="truth"), None, log=lambda _: None).to_pandas()
    assert list(result.columns) == output_schema().names
    evaluated = result[result["purpose"] == "held_out_authors"]
    # Every held-out row is a known comment of a held-out author, and all of that author's comments are there.
    assert len(evaluated) and evaluated["author_key"].map(is_test_author).all()
    known = comments[comments["identity_source"] == "ip_location"]
    assert sorted(evaluated["comment_id"]) == sorted(
        known[known["author_key"].map(is_test_author)]["comment_id"]
    )
    assert (evaluated["known_identity"] == evaluated["inferred_identity"]).mean() >= 0.9
    predicted = result[result["purpose"] == "prediction"].merge(comments, on="comment_id")
    assert sorted(predicted["comment_id"]) == sorted(
        comments[comments["identity"] == "unknown"]["comment_id"]
    )
    assert predicted["known_identity"].isna().all()
    assert (predicted["inferred_identity"] == predicted["truth"]).mean() >= 0.9
    assert set(result["inferred_identity"]) <= set(IDENTITIES)
    assert result["inferred_confidence"].between(0.5, 1.0).all()
    assert result["classifier_version"].nunique() == 1


def test_embeddings_are_used_when_given():
    comments = corpus()
    # Vectors that carry the identity on their own, with texts that carry none.
    comments["content"] = "同 same"
    vectors = np.array(
        [[1.0, 0.0] if truth == "chinese" else [0.0, 1.0] for truth in comments["truth"]], np.float32
    )
    result = infer_identities(comments.drop(columns="truth"), vectors * 10, log=lambda _: None).to_pandas()
    predicted = result[result["purpose"] == "prediction"].merge(comments, on="comment_id")
    assert (predicted["inferred_identity"] == predicted["truth"]).all()


def test_too_few_known_authors_infers_nothing():
    comments = corpus(authors_per_identity=1)
    messages = []
    result = infer_identities(comments.drop(columns="truth"), None, log=messages.append)
    assert result.num_rows == 0 and result.schema == output_schema()
    assert "nothing is inferred" in messages[0]


def test_version_follows_the_training_rows():
    comments = corpus().drop(columns="truth")
    first = infer_identities(comments, None, log=lambda _: None)["classifier_version"][0].as_py()
    again = infer_identities(comments.sample(frac=1, random_state=1), None, log=lambda _: None)
    assert again["classifier_version"][0].as_py() == first
    changed = comments.copy()
    changed.loc[0, "identity"] = "foreign"
    assert infer_identities(changed, None, log=lambda _: None)["classifier_version"][0].as_py() != first


def test_training_takes_whole_authors_and_chunks_keep_authors_whole(monkeypatch):
    comments = corpus()
    sample = whole_authors(comments, 10)
    assert len(sample) <= 10 and sample.groupby("author_key").size().eq(3).all()
    assert whole_authors(comments, 10_000) is comments
    chunks = list(author_chunks(comments, 4))
    assert sum(len(chunk) for chunk in chunks) == len(comments)
    assert all(chunk["author_key"].nunique() == len(chunk) // 3 for chunk in chunks)
    # Small chunks and a small training cap give labels for every unknown comment all the same.
    monkeypatch.setattr(identity_module, "PREDICTION_CHUNK", 4)
    monkeypatch.setattr(identity_module, "MAX_TRAINING_COMMENTS", 30)
    result = infer_identities(comments.drop(columns="truth"), None, log=lambda _: None).to_pandas()
    predicted = result[result["purpose"] == "prediction"]
    assert sorted(predicted["comment_id"]) == sorted(
        comments[comments["identity"] == "unknown"]["comment_id"]
    )
