"""A resumable on-disk cache of inference results, written in small shards as work completes.

A dbt model only persists when it finishes. Inference over 400k comments takes most of an hour, so each batch's
results are also written here (one .parquet shard per flush, written to a temporary name and renamed, so a kill
never leaves half a shard). The next run reads the shards back and infers only what is missing. Shards whose keys
have all reached the warehouse table are deleted.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


class ShardCache:
    def __init__(self, directory: str | Path, key_column: str, flush_rows: int = 2048):
        self.directory = Path(directory)
        self.key_column = key_column
        self.flush_rows = flush_rows
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def _shards(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("shard-*.parquet"))

    def read(self, keys: Iterable[str] | None = None) -> pa.Table | None:
        """All cached rows (or those whose key is in `keys`), the latest shard winning for a repeated key."""
        shards = self._shards()
        if not shards:
            return None
        # "permissive": shards written by an older version (fixed-size vectors, say) still merge with new ones.
        table = pa.concat_tables([pq.read_table(path) for path in shards], promote_options="permissive")
        if keys is not None:
            wanted = pa.array(sorted(set(keys)), type=pa.string())
            table = table.filter(pc.is_in(table[self.key_column], value_set=wanted))
        keys = table[self.key_column]
        if pc.count_distinct(keys).as_py() == table.num_rows:
            return table
        # Keep the last row of each repeated key (a retried item's newest attempt).
        positions = pa.array(range(table.num_rows), pa.int64())
        last = pa.table({"key": keys, "position": positions}).group_by("key").aggregate([("position", "max")])
        kept = last["position_max"].combine_chunks()
        return table.take(pc.take(kept, pc.sort_indices(kept)))

    def append(self, rows: pa.Table) -> None:
        self._pending.append(rows)
        self._pending_rows += rows.num_rows
        if self._pending_rows >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        table = pa.concat_tables(self._pending, promote_options="default")
        name = f"shard-{len(self._shards()):06d}-{uuid.uuid4().hex[:8]}.parquet"
        temporary = self.directory / f".{name}.tmp"
        pq.write_table(table, temporary)
        os.replace(temporary, self.directory / name)
        self._pending, self._pending_rows = [], 0

    def prune(self, stored_keys: set[str]) -> int:
        """Delete shards every key of which is already stored in the warehouse; returns how many."""
        removed = 0
        for path in self._shards():
            keys = pq.read_table(path, columns=[self.key_column])[self.key_column].to_pylist()
            if all(key in stored_keys for key in keys):
                path.unlink()
                removed += 1
        return removed
