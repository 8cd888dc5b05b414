"""python -m rednote_affect.report --database warehouse/rednote.duckdb --out reports"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rednote_affect.report import render_report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the static HTML report from the warehouse marts.")
    parser.add_argument("--database", default="warehouse/rednote.duckdb", help="DuckDB file with the marts")
    parser.add_argument("--out", default="reports", help="output folder for index.html and the PNG figures")
    arguments = parser.parse_args(argv)
    try:
        index_path = render_report(arguments.database, arguments.out)
    except (FileNotFoundError, ValueError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 1
    print(index_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
