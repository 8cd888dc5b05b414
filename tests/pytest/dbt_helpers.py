"""Running dbt and querying the warehouse it builds, for the tests that build one (conftest's `built`)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

DBT = str(Path(sys.executable).with_name("dbt"))
WAREHOUSE = "warehouse.duckdb"


def dbt(repo, tmp, *arguments, variables=None, check=True, database=WAREHOUSE):
    environment = dict(os.environ, DUCKDB_PATH=str(tmp / database), REDNOTE_EXPORTS_DIR=str(tmp / "exports"))
    command = [
        DBT,
        *arguments,
        "--profiles-dir",
        str(repo),
        "--project-dir",
        str(repo),
        "--target-path",
        str(tmp / "target"),
    ]
    if variables:
        command += ["--vars", json.dumps(variables)]
    result = subprocess.run(command, cwd=repo, env=environment, capture_output=True, text=True, timeout=3600)
    if check and result.returncode != 0:
        raise AssertionError(result.stdout[-4000:] + result.stderr[-2000:])
    return result


def copy_warehouse(source, target, database=WAREHOUSE):
    """Copy source's warehouse to target/database, with the heads it fitted (cache/heads, keyed by their version):
    a build on the copy with the same training data then reads them instead of fitting them again."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / WAREHOUSE, target / database)
    heads = source / "cache" / "heads"
    if heads.is_dir():
        shutil.copytree(heads, target / "cache" / "heads", dirs_exist_ok=True)


def query(tmp, sql, database=WAREHOUSE):
    with duckdb.connect(str(tmp / database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def query_by_key(tmp, sql, database=WAREHOUSE):
    """The query's rows keyed by their first column: {first: (the rest, ...)}."""
    return {row[0]: row[1:] for row in query(tmp, sql, database)}
