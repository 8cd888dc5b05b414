"""scripts/compare_exports.py: the before/after check of a refactor's mart exports."""

import importlib.util
from pathlib import Path

import pandas as pd

SCRIPT = Path(__file__).parents[2] / "scripts" / "compare_exports.py"


def load():
    spec = importlib.util.spec_from_file_location("compare_exports", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_renamed_columns_and_row_order_pass_and_a_changed_value_fails(tmp_path):
    compare = load()
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    pd.DataFrame({"theme": ["a", "b"], "emotion_balance": [0.5, 0.25]}).to_parquet(
        tmp_path / "before" / "m.parquet"
    )
    after = pd.DataFrame({"theme": ["b", "a"], "emotion_entropy_normalized": [0.25, 0.5]})
    after.to_parquet(tmp_path / "after" / "m.parquet")
    assert compare.main([str(tmp_path / "before"), str(tmp_path / "after")]) == 0
    after.assign(emotion_entropy_normalized=[0.25, 0.5 + 1e-12]).to_parquet(tmp_path / "after" / "m.parquet")
    assert compare.main([str(tmp_path / "before"), str(tmp_path / "after")]) == 1
