"""dbt-duckdb source plugin: lands MediaCrawler exports under the `raw_dir` var as raw tables.

profiles.yml registers it as `mediacrawler`; sources with `meta: {plugin: mediacrawler, entity: notes|comments,
raw_dir: ...}` are loaded through it each run, before the staging views read them.
"""

from __future__ import annotations

from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig

from rednote_affect.ingest import read_exports


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        # The marts' post-hook copies each mart to <exports_dir>/<mart>.parquet; DuckDB's COPY needs the folder.
        self.exports_dir = plugin_config.get("exports_dir")

    def configure_connection(self, conn) -> None:
        if self.exports_dir:
            Path(self.exports_dir).mkdir(parents=True, exist_ok=True)

    def load(self, source_config: SourceConfig):
        raw_dir = source_config.get("raw_dir")
        entity = source_config.get("entity")
        if not raw_dir or not entity:
            raise ValueError(f"source {source_config.name}: meta needs raw_dir and entity for the mediacrawler plugin")
        return read_exports(raw_dir, entity)

    def default_materialization(self) -> str:
        return "table"
