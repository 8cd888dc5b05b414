"""Compare two folders of mart exports (Parquet), e.g. the same sample corpus built before and after a refactor.

Usage: .venv/bin/python scripts/compare_exports.py BEFORE_DIR AFTER_DIR [--rename old=new ...]

Each mart must have the same rows and columns (after the renames); every value must be identical, except the
build's own timestamps (classified_at). Prints one line per mart and exits 1 when any differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BUILD_TIMESTAMPS = {"classified_at"}
# The renames of issue 14 (one naming scheme for counts and entropy).
ISSUE_14_RENAMES = {
    "emotion_balance": "emotion_entropy_normalized",
    "raw_rows": "raw_count",
    "kept_rows": "kept_count",
    "superseded_rows": "superseded_count",
    "quarantined_rows": "quarantined_count",
    "support": "gold_count",
}


def differences(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    if list(before.columns) != list(after.columns):
        return [f"columns differ: {list(before.columns)} against {list(after.columns)}"]
    if len(before) != len(after):
        return [f"{len(before)} rows against {len(after)}"]
    order = [column for column in before.columns if column not in BUILD_TIMESTAMPS]
    before = before.sort_values(order, kind="stable").reset_index(drop=True)
    after = after.sort_values(order, kind="stable").reset_index(drop=True)
    notes = []
    for column in order:
        if before[column].equals(after[column]):
            continue
        if pd.api.types.is_float_dtype(before[column]):
            gap = np.nanmax(np.abs(before[column].to_numpy(float) - after[column].to_numpy(float)))
            notes.append(f"{column}: max |difference| {gap:.2e}")
        else:
            notes.append(f"{column}: values differ")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rename", action="append", default=[], help="old=new (default: issue 14's renames)")
    arguments = parser.parse_args(argv)
    renames = dict(item.split("=", 1) for item in arguments.rename) or ISSUE_14_RENAMES
    identical = True
    for before_file in sorted(arguments.before.glob("*.parquet")):
        after_file = arguments.after / before_file.name
        if not after_file.exists():
            print(f"{before_file.stem}: missing after")
            identical = False
            continue
        before = pd.read_parquet(before_file).rename(columns=renames)
        notes = differences(before, pd.read_parquet(after_file))
        identical &= not notes
        print(f"{before_file.stem}: {len(before)} rows: " + ("identical" if not notes else "; ".join(notes)))
    print("all identical" if identical else "NOT all identical")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
