"""dbt-duckdb source plugin: lands MediaCrawler exports under the `raw_dir` var as raw tables.

profiles.yml registers it as `mediacrawler`; sources with `meta: {plugin: mediacrawler, entity: notes|comments,
raw_dir: ...}` are loaded through it each run, before the staging views read them. It also registers the DuckDB
functions `rednote_raw_dir_problem(raw_dir)` ("" or a one-line message) and `rednote_raw_table_columns(entity)`
(the raw table's columns, for `create table`) for the on-run-start macro.
"""

from __future__ import annotations

from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from duckdb.sqltypes import VARCHAR

from rednote_affect.ingest import raw_dir_problem, raw_table_columns, read_exports


def land_in_default_catalog(source_config: SourceConfig) -> None:
    """dbt-duckdb writes `<database>.<schema>.<table>` unquoted after load(), and the database is the warehouse
    file's stem: `my-crawl` or `both` would be a parser error. Raw tables live in the default catalog, so the
    database is left out of the name. Every source plugin of this project calls this in load()."""
    source_config.database = None


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        # Python models run on dbt's threads: two of them importing scikit-learn at once (the heads classifier and
        # BERTopic) can fail with "partially initialized module 'sklearn.base'", so it is imported here, first.
        import sklearn.feature_extraction.text  # noqa: F401
        from threadpoolctl import threadpool_limits

        # One BLAS thread for the whole run. dbt runs two Python models at once (labels and topics), and when both
        # call BLAS together how a call's work is split between threads depends on timing; the last bits of the
        # sums then differ and the heads' solver ends at other weights: the same classifier version gave other
        # confidences from one build to the next. dbt's two threads still use both cores.
        threadpool_limits(limits=1, user_api="blas")

        # The marts' post-hook copies each mart to <exports_dir>/<mart>.parquet; DuckDB's COPY needs the folder.
        self.exports_dir = plugin_config.get("exports_dir")

    def configure_connection(self, conn) -> None:
        if self.exports_dir:
            Path(self.exports_dir).mkdir(parents=True, exist_ok=True)
        # The on-run-start check (macros/check_raw_dir.sql) asks the reader's own rule what an export is.
        conn.create_function(
            "rednote_raw_dir_problem", raw_dir_problem, [VARCHAR], VARCHAR, side_effects=True
        )
        # ... and the reader's own columns for the raw tables it creates up front.
        conn.create_function("rednote_raw_table_columns", raw_table_columns, [VARCHAR], VARCHAR)

    def load(self, source_config: SourceConfig):
        raw_dir = source_config.get("raw_dir")
        entity = source_config.get("entity")
        if not raw_dir or not entity:
            raise ValueError(
                f"source {source_config.name}: meta needs raw_dir and entity for the mediacrawler plugin"
            )
        land_in_default_catalog(source_config)
        return read_exports(raw_dir, entity)

    def default_materialization(self) -> str:
        return "table"
