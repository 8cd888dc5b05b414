"""dbt-duckdb source plugin: lands the labelled corpora named by the `evaluation_sets` and `training_sets` vars.

profiles.yml registers it as `labelled_corpora`; the source `labelled_corpora.texts` passes both vars (as JSON)
in its meta. See `rednote_affect.labelled_corpora` for the configuration of a set.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig

from rednote_affect.dbt_plugin import land_in_default_catalog
from rednote_affect.labelled_corpora import read_labelled_corpora


class Plugin(BasePlugin):
    def load(self, source_config: SourceConfig):
        land_in_default_catalog(source_config)
        return read_labelled_corpora(source_config.get("evaluation_sets"), source_config.get("training_sets"))

    def default_materialization(self) -> str:
        return "table"
