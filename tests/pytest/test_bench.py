"""rednote_affect.bench reads a dbt run's timings from run_results.json, dbt's public artifact, alone."""

import json

from rednote_affect.bench import read_run_results, stage_seconds


def test_timings_come_from_run_results_json(tmp_path):
    results = [
        {"unique_id": "model.rednote_affect.int_text_embeddings", "execution_time": 30.0},
        {"unique_id": "model.rednote_affect.fct_comments", "execution_time": 0.5},
        {"unique_id": "model.rednote_affect.stg_mediacrawler__notes", "execution_time": 1.5},
        {"unique_id": "seed.rednote_affect.codebook_themes", "execution_time": 0.25},
        {"unique_id": "test.rednote_affect.unique_fct_comments_comment_id.1", "execution_time": 2.0},
        {"unique_id": "unit_test.rednote_affect.fct_theme_polarization.by_hand", "execution_time": 1.0},
    ]
    (tmp_path / "run_results.json").write_text(json.dumps({"elapsed_time": 41.5, "results": results}))
    run = read_run_results(tmp_path)
    assert run["wall_seconds"] == 41.5 and run["peak_rss_bytes"] is None
    assert run["test_seconds"] == 3.0
    stages = stage_seconds(run["timings"])
    assert stages["embeddings"] == 30.0 and stages["marts"] == 0.5
    assert stages["staging + intermediate SQL"] == 1.75  # the staging model and the seed
