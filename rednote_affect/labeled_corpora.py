"""Labeled corpora that a build measures its labels on (`evaluation_sets`) or adds to training (`training_sets`).

Each set is configured in a dbt var as a mapping:

    name: goemotions_dev            # how the set is named in fct_classifier_agreement
    path: ../shared/external/goemotions/dev.tsv   # relative to the dbt project directory
    format: tsv                     # csv | tsv | jsonl | json (one array)
    header: false                   # csv / tsv only; default true
    columns: [text, label, id]      # column names of a header-less csv / tsv
    text_column: text
    label_column: label
    label_names: ../shared/external/goemotions/emotions.txt  # optional: labels are 0-based indices into this list
    label_separator: ","            # optional: a row with several labels is kept aside as multi_label
    label_map: goemotions           # the label_map of seeds/lookups/corpus_label_maps.csv

Nothing is read unless it is configured. Every record becomes one row, whatever happens to it: a record that
cannot be used carries its `load_error` (`unreadable_file`, `missing_text`, `missing_label`, `multi_label`,
`unknown_label_index`), so the staging model can count and set it aside.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa

SCHEMA = pa.schema(
    [
        pa.field("corpus_name", pa.string()),
        pa.field("corpus_purpose", pa.string()),
        pa.field("label_map", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_row_number", pa.int64()),
        pa.field("text", pa.string()),
        pa.field("source_label", pa.string()),
        pa.field("load_error", pa.string()),
    ]
)
FORMATS = ("csv", "tsv", "jsonl", "json")
REQUIRED_KEYS = ("name", "path", "format", "text_column", "label_column", "label_map")


def parse_sets(value) -> list[dict]:
    """The var as dbt hands it over: a list of mappings, or its JSON text (source meta is rendered to text)."""
    if value in (None, "", "[]", "None"):
        return []
    sets = json.loads(value) if isinstance(value, str) else value
    if isinstance(sets, Mapping):
        sets = [sets]
    names = set()
    for index, entry in enumerate(sets):
        missing = [key for key in REQUIRED_KEYS if not entry.get(key)]
        if missing:
            raise ValueError(f"labeled corpus #{index + 1}: missing {', '.join(missing)}")
        if entry["format"] not in FORMATS:
            raise ValueError(f"labeled corpus {entry['name']!r}: format must be one of {', '.join(FORMATS)}")
        if entry["name"] in names:
            raise ValueError(f"labeled corpus {entry['name']!r} is configured twice")
        names.add(entry["name"])
    return list(sets)


def _records(path: Path, entry: Mapping) -> Iterator[dict]:
    form = entry["format"]
    if form in ("csv", "tsv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            delimiter = "\t" if form == "tsv" else ","
            # Corpus files are not CSV-quoted as a rule (a tweet may start with a quote): tsv is read literally.
            quoting = csv.QUOTE_NONE if form == "tsv" else csv.QUOTE_MINIMAL
            reader = csv.reader(handle, delimiter=delimiter, quoting=quoting)
            if entry.get("header", True):
                columns = next(reader, [])
            else:
                columns = list(entry.get("columns") or [])
            for values in reader:
                yield dict(zip(columns, values, strict=False))
    elif form == "jsonl":
        with path.open(encoding="utf-8-sig") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
    else:
        yield from json.loads(path.read_text(encoding="utf-8-sig"))


def read_set(entry: Mapping, purpose: str, base_dir: Path) -> pa.Table:
    path = (base_dir / str(entry["path"])).resolve()
    label_names = None
    if entry.get("label_names"):
        label_names = (base_dir / str(entry["label_names"])).read_text(encoding="utf-8").split()
    separator = entry.get("label_separator")
    rows: dict[str, list] = {name: [] for name in SCHEMA.names}

    def add(number: int, text, label, error) -> None:
        for key, value in (
            ("corpus_name", entry["name"]),
            ("corpus_purpose", purpose),
            ("label_map", entry["label_map"]),
            ("source_file", str(entry["path"])),
            ("source_row_number", number),
            ("text", text),
            ("source_label", label),
            ("load_error", error),
        ):
            rows[key].append(value)

    try:
        records = list(_records(path, entry))
    except (OSError, ValueError, csv.Error) as error:
        add(0, None, None, f"unreadable_file: {type(error).__name__}: {error}"[:300])
        return pa.Table.from_pydict(rows, schema=SCHEMA)
    for number, record in enumerate(records, start=1):
        text = record.get(entry["text_column"])
        label = record.get(entry["label_column"])
        text = None if text is None else str(text)
        label = None if label is None or label == "" else str(label)
        error = None
        if not text or not text.strip():
            error = "missing_text"
        elif label is None:
            error = "missing_label"
        elif separator and separator in label:
            error = "multi_label"
        elif label_names is not None:
            try:
                label = label_names[int(label)]
            except (ValueError, IndexError):
                error = "unknown_label_index"
        add(number, text, label, error)
    return pa.Table.from_pydict(rows, schema=SCHEMA)


def read_labeled_corpora(evaluation_sets, training_sets, base_dir: str | Path = ".") -> pa.Table:
    """Every configured corpus, one row per record (see the module docstring)."""
    base = Path(base_dir)
    tables = [read_set(entry, "evaluation", base) for entry in parse_sets(evaluation_sets)]
    tables += [read_set(entry, "training", base) for entry in parse_sets(training_sets)]
    evaluation_names = {entry["name"] for entry in parse_sets(evaluation_sets)}
    clash = evaluation_names & {entry["name"] for entry in parse_sets(training_sets)}
    if clash:
        raise ValueError(
            f"labeled corpora {sorted(clash)} are configured both for evaluation and for training"
        )
    return pa.concat_tables(tables) if tables else SCHEMA.empty_table()


def external_texts(directory: Path) -> set[str]:
    """Every record text of the corpus files under `directory` (.tsv: the first field; .txt / .jsonl: the
    `content` or `text` of a JSON line, else the line): what must never appear in this repository."""
    texts: set[str] = set()
    for path in sorted(Path(directory).rglob("*")):
        if not path.is_file() or path.suffix not in (".tsv", ".txt", ".jsonl", ".csv"):
            continue
        for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
            if path.suffix == ".tsv":
                text = line.split("\t")[0]
            elif line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    record = {}
                text = str(record.get("content") or record.get("text") or line)
            else:
                text = line
            if text.strip():
                texts.add(text.strip())
    return texts
