"""Print how this build's labels hold on every evaluation set, from marts.fct_classifier_agreement.

Run by `make validate` (and `make test` when ../shared/external exists):
    python -m rednote_affect.validate --database warehouse/rednote.duckdb
"""

from __future__ import annotations

import argparse

import duckdb

SUMMARY_SQL = """
select
    evaluation_set,
    any_value(evaluated_count) filter (where task = 'valence') as valence_n,
    any_value(accuracy) filter (where task = 'valence') as valence_accuracy,
    any_value(evaluated_count) filter (where task = 'emotion') as emotion_n,
    any_value(accuracy) filter (where task = 'emotion') as emotion_accuracy,
    any_value(macro_f1) filter (where task = 'emotion') as emotion_macro_f1,
    any_value(expected_calibration_error) filter (where task = 'emotion') as emotion_ece,
    any_value(macro_f1) filter (where task = 'stance') as stance_macro_f1,
    any_value(expected_calibration_error) filter (where task = 'stance') as stance_ece
from marts.fct_classifier_agreement
group by evaluation_set
order by evaluation_set
"""
COLUMNS = [
    "valence_n",
    "valence_accuracy",
    "emotion_n",
    "emotion_accuracy",
    "emotion_macro_f1",
    "emotion_ece",
    "stance_macro_f1",
    "stance_ece",
]


def summary(database: str) -> list[tuple]:
    with duckdb.connect(database, read_only=True) as connection:
        return connection.execute(SUMMARY_SQL).fetchall()


def format_summary(rows: list[tuple]) -> str:
    def cell(value) -> str:
        if value is None:
            return "-"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    table = [["evaluation_set", *COLUMNS]] + [
        [str(row[0]), *(cell(value) for value in row[1:])] for row in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    return "\n".join(
        "  ".join(
            value.rjust(width) if column else value.ljust(width)
            for column, (value, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    arguments = parser.parse_args(argv)
    print(format_summary(summary(arguments.database)))


if __name__ == "__main__":
    main()
