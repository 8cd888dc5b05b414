"""Reading labeled corpora (evaluation_sets / training_sets): every record becomes a row, usable or not."""

import json

import pytest

from rednote_affect.labeled_corpora import parse_sets, read_labeled_corpora


def rows(table) -> list[dict]:
    return table.to_pylist()


def test_csv_with_header(tmp_path) -> None:
    (tmp_path / "mine.csv").write_text('body,tag\n"so happy, truly",joy\n,anger\nfine,\n', encoding="utf-8")
    sets = [
        {
            "name": "mine",
            "path": "mine.csv",
            "format": "csv",
            "text_column": "body",
            "label_column": "tag",
            "label_map": "goemotions",
        }
    ]
    table = rows(read_labeled_corpora(sets, [], tmp_path))
    assert [(r["source_row_number"], r["text"], r["source_label"], r["load_error"]) for r in table] == [
        (1, "so happy, truly", "joy", None),
        (2, "", "anger", "missing_text"),
        (3, "fine", None, "missing_label"),
    ]
    assert {r["corpus_purpose"] for r in table} == {"evaluation"}


def test_headerless_tsv_with_label_indices_and_multi_label_rows(tmp_path) -> None:
    (tmp_path / "labels.txt").write_text("admiration\namusement\nanger\n", encoding="utf-8")
    # Literal quotes are text, not CSV quoting, in a corpus TSV.
    (tmp_path / "dev.tsv").write_text(
        '"quoted" start\t1\tid1\nangry\t2\tid2\nboth\t0,1\tid3\nbad\t9\tid4\n', encoding="utf-8"
    )
    sets = [
        {
            "name": "dev",
            "path": "dev.tsv",
            "format": "tsv",
            "header": False,
            "columns": ["text", "label", "id"],
            "text_column": "text",
            "label_column": "label",
            "label_names": "labels.txt",
            "label_separator": ",",
            "label_map": "goemotions",
        }
    ]
    table = rows(read_labeled_corpora(sets, [], tmp_path))
    assert [(r["text"], r["source_label"], r["load_error"]) for r in table] == [
        ('"quoted" start', "amusement", None),
        ("angry", "anger", None),
        ("both", "0,1", "multi_label"),
        ("bad", "9", "unknown_label_index"),
    ]


def test_jsonl_and_json_array_for_training(tmp_path) -> None:
    (tmp_path / "a.jsonl").write_text(
        "\n".join(
            json.dumps({"content": text, "label": label}, ensure_ascii=False)
            for text, label in [("开心", "happiness"), ("气死", "anger")]
        )
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "b.json").write_text(
        json.dumps([{"content": "好怕", "label": "fear"}], ensure_ascii=False), encoding="utf-8"
    )
    common = {
        "format": "jsonl",
        "text_column": "content",
        "label_column": "label",
        "label_map": "clue_emotion",
    }
    table = rows(
        read_labeled_corpora(
            [],
            [
                {**common, "name": "a", "path": "a.jsonl"},
                {**common, "name": "b", "path": "b.json", "format": "json"},
            ],
            tmp_path,
        )
    )
    assert [(r["corpus_name"], r["text"], r["source_label"], r["corpus_purpose"]) for r in table] == [
        ("a", "开心", "happiness", "training"),
        ("a", "气死", "anger", "training"),
        ("b", "好怕", "fear", "training"),
    ]


def test_an_unreadable_file_is_one_row_with_its_error(tmp_path) -> None:
    sets = [
        {
            "name": "gone",
            "path": "missing.csv",
            "format": "csv",
            "text_column": "t",
            "label_column": "l",
            "label_map": "m",
        }
    ]
    [row] = rows(read_labeled_corpora(sets, [], tmp_path))
    assert row["source_row_number"] == 0 and row["load_error"].startswith(
        "unreadable_file: FileNotFoundError"
    )


def test_nothing_is_read_unless_configured() -> None:
    assert read_labeled_corpora("[]", "[]").num_rows == 0
    assert read_labeled_corpora(None, None).num_rows == 0


def test_configuration_errors_are_one_line() -> None:
    with pytest.raises(ValueError, match="missing label_map"):
        parse_sets([{"name": "x", "path": "p", "format": "csv", "text_column": "t", "label_column": "l"}])
    with pytest.raises(ValueError, match="format must be one of"):
        parse_sets(
            '[{"name": "x", "path": "p", "format": "xml", "text_column": "t", "label_column": "l", '
            '"label_map": "m"}]'
        )
    entry = {
        "name": "x",
        "path": "p",
        "format": "csv",
        "text_column": "t",
        "label_column": "l",
        "label_map": "m",
    }
    with pytest.raises(ValueError, match="both for evaluation and for training"):
        read_labeled_corpora([entry], [entry])
