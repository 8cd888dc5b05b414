"""dbt-duckdb source plugin: lands the labeled corpora named by the `evaluation_sets` and `training_sets` vars.

profiles.yml registers it as `labeled_corpora`; the source `labeled_corpora.texts` passes both vars (as JSON)
in its meta. See `rednote_affect.labeled_corpora` for the configuration of a set.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig

from rednote_affect.dbt_plugin import land_in_default_catalog
from rednote_affect.labeled_corpora import read_labeled_corpora


class Plugin(BasePlugin):
    def load(self, source_config: SourceConfig):
        land_in_default_catalog(source_config)
        return read_labeled_corpora(source_config.get("evaluation_sets"), source_config.get("training_sets"))

    def default_materialization(self) -> str:
        return "table"
