"""rednote_affect.stats (the chi-square test per theme) against scipy and hand computations; the SQL marts'
statistics are checked against scipy and statsmodels in test_dbt_build.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from scipy.stats.contingency import association, expected_freq

from rednote_affect.stats import ASSOCIATION_COLUMNS, TEST_STATISTICS, emotion_stance_association

# ---------------------------------------------------------------- emotion × stance association

EMOTIONS = ["anger", "joy", "neutral"]
STANCES = ["neutral", "pro_china", "pro_foreign"]

# Theme "culture": 3×3 with an all-zero emotion row (anger) -> tested as 2×3.
CULTURE_TABLE = np.array([[0, 0, 0], [30, 12, 4], [18, 4, 5]])
# Theme "politics": 3×3 with an all-zero stance column (neutral) -> tested as 3×2; small counts (low expected).
POLITICS_TABLE = np.array([[0, 6, 2], [0, 3, 1], [0, 0, 4]])
# Theme "daily_life": a 2×2 inside the grid (neutral emotion and pro_foreign stance all zero).
DAILY_LIFE_TABLE = np.array([[20, 15, 0], [10, 25, 0], [0, 0, 0]])
# Theme "other": a single non-zero cell -> degenerate.
OTHER_TABLE = np.array([[0, 0, 0], [0, 0, 0], [0, 7, 0]])

TABLES = {
    "culture": CULTURE_TABLE,
    "politics": POLITICS_TABLE,
    "daily_life": DAILY_LIFE_TABLE,
    "other": OTHER_TABLE,
}


def long_counts(tables: dict[str, np.ndarray], keep_zero_cells: bool) -> pd.DataFrame:
    rows = [
        {"theme": theme, "emotion": emotion, "stance": stance, "comment_count": int(table[i, j])}
        for theme, table in tables.items()
        for i, emotion in enumerate(EMOTIONS)
        for j, stance in enumerate(STANCES)
        if keep_zero_cells or table[i, j] > 0
    ]
    return pd.DataFrame(rows)


def first_principles_adjusted_residuals(table: np.ndarray) -> np.ndarray:
    expected = expected_freq(table)
    total = table.sum()
    row_share = table.sum(axis=1, keepdims=True) / total
    column_share = table.sum(axis=0, keepdims=True) / total
    return (table - expected) / np.sqrt(expected * (1 - row_share) * (1 - column_share))


def theme_grid(result: pd.DataFrame, theme: str, column: str) -> np.ndarray:
    part = result[result["theme"] == theme]
    return part.pivot(index="emotion", columns="stance", values=column).loc[EMOTIONS, STANCES].to_numpy()


@pytest.fixture(scope="module")
def association_result() -> pd.DataFrame:
    # zero cells absent: the full grid must be rebuilt from the distinct emotions and stances
    return emotion_stance_association(long_counts(TABLES, keep_zero_cells=False))


def test_output_shape_columns_types_and_order(association_result):
    assert list(association_result.columns) == ASSOCIATION_COLUMNS
    assert len(association_result) == len(TABLES) * len(EMOTIONS) * len(STANCES)
    ordered = association_result.sort_values(["theme", "emotion", "stance"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(association_result, ordered)
    assert association_result["observed_count"].dtype == "int64"
    assert association_result["theme_comment_count"].dtype == "int64"
    assert association_result["degrees_of_freedom"].dtype == "Int64"
    assert association_result["is_low_expected"].dtype == "boolean"
    for theme, table in TABLES.items():
        np.testing.assert_array_equal(theme_grid(association_result, theme, "observed_count"), table)
        part = association_result[association_result["theme"] == theme]
        assert (part["theme_comment_count"] == table.sum()).all()


def test_zero_cells_present_or_absent_give_the_same_result(association_result):
    with_zero_cells = emotion_stance_association(long_counts(TABLES, keep_zero_cells=True))
    pd.testing.assert_frame_equal(with_zero_cells, association_result)


@pytest.mark.parametrize(
    ("theme", "kept_count", "kept_columns"),
    [
        ("culture", [1, 2], [0, 1, 2]),
        ("politics", [0, 1, 2], [1, 2]),
        ("daily_life", [0, 1], [0, 1]),
    ],
)
def test_statistics_equal_scipy(association_result, theme, kept_count, kept_columns):
    full_table = TABLES[theme]
    table = full_table[np.ix_(kept_count, kept_columns)]
    chi_square, p_value, degrees_of_freedom, expected = chi2_contingency(table, correction=False)
    part = association_result[association_result["theme"] == theme]

    assert part["chi_square"].iloc[0] == pytest.approx(chi_square, rel=1e-12)
    assert part["p_value"].iloc[0] == pytest.approx(p_value, rel=1e-9)
    assert part["degrees_of_freedom"].iloc[0] == degrees_of_freedom
    assert part["cramers_v"].iloc[0] == pytest.approx(association(table, method="cramer"), rel=1e-12)
    for column in ["chi_square", "p_value", "cramers_v", "degrees_of_freedom", "low_expected_share"]:
        assert part[column].nunique() == 1  # theme-level values repeat on every cell

    expected_grid = theme_grid(association_result, theme, "expected_count")
    residual_grid = theme_grid(association_result, theme, "adjusted_residual")
    np.testing.assert_allclose(expected_grid[np.ix_(kept_count, kept_columns)], expected, rtol=1e-12)
    np.testing.assert_allclose(
        residual_grid[np.ix_(kept_count, kept_columns)],
        first_principles_adjusted_residuals(table),
        rtol=1e-10,
    )
    # cells of dropped rows/columns have NULL expected count and residual
    dropped = np.ones(full_table.shape, dtype=bool)
    dropped[np.ix_(kept_count, kept_columns)] = False
    assert np.isnan(expected_grid[dropped]).all() and np.isnan(residual_grid[dropped]).all()

    low_expected_share = float((expected < 5).mean())
    assert part["low_expected_share"].iloc[0] == pytest.approx(low_expected_share)
    assert bool(part["is_low_expected"].iloc[0]) is (low_expected_share > 0.2)


def test_low_expected_flag(association_result):
    by_theme = association_result.groupby("theme").first()
    # politics: 16 comments over a 3×2 table, every expected count < 5
    assert by_theme.loc["politics", "low_expected_share"] == 1.0
    assert bool(by_theme.loc["politics", "is_low_expected"]) is True
    # culture: expected counts of the 2×3 table, 1 of 6 below 5 (share 1/6 <= 0.2) -> not flagged
    assert by_theme.loc["culture", "low_expected_share"] == pytest.approx(1 / 6)
    assert bool(by_theme.loc["culture", "is_low_expected"]) is False
    assert by_theme.loc["daily_life", "low_expected_share"] == 0.0


def test_two_by_two_residuals_are_symmetric(association_result):
    # in a 2×2 table all four adjusted residuals have the same magnitude and |residual|^2 = chi-square
    residuals = theme_grid(association_result, "daily_life", "adjusted_residual")[:2, :2]
    chi_square = association_result.loc[association_result["theme"] == "daily_life", "chi_square"].iloc[0]
    np.testing.assert_allclose(np.abs(residuals), math.sqrt(chi_square), rtol=1e-12)
    assert residuals[0, 0] > 0 > residuals[0, 1]


def test_degenerate_theme_has_null_statistics(association_result):
    part = association_result[association_result["theme"] == "other"]
    assert len(part) == len(EMOTIONS) * len(STANCES)
    assert part[TEST_STATISTICS].isna().all().all()
    assert (part["theme_comment_count"] == 7).all()
    assert part["observed_count"].sum() == 7


def test_all_zero_theme_and_duplicate_rows():
    counts = pd.DataFrame(
        {
            "theme": ["a", "a", "a", "a", "a", "b"],
            "emotion": ["joy", "joy", "joy", "anger", "anger", "joy"],
            "stance": ["x", "x", "y", "x", "y", "x"],
            "comment_count": [4, 6, 3, 2, 9, 0],
        }
    )
    result = emotion_stance_association(counts)
    a = result[result["theme"] == "a"]
    # duplicate (a, joy, x) rows are summed: table [[2, 9], [10, 3]]
    table = np.array([[2, 9], [10, 3]])
    assert a["observed_count"].tolist() == [2, 9, 10, 3]
    assert a["chi_square"].iloc[0] == pytest.approx(chi2_contingency(table, correction=False)[0])
    b = result[result["theme"] == "b"]
    assert (b["theme_comment_count"] == 0).all() and b["chi_square"].isna().all()


def test_empty_input_and_bad_input():
    empty = emotion_stance_association(pd.DataFrame(columns=["theme", "emotion", "stance", "comment_count"]))
    assert list(empty.columns) == ASSOCIATION_COLUMNS and empty.empty
    with pytest.raises(ValueError, match="missing columns"):
        emotion_stance_association(pd.DataFrame({"theme": ["a"], "emotion": ["joy"], "stance": ["x"]}))
    with pytest.raises(ValueError, match="non-negative"):
        emotion_stance_association(
            pd.DataFrame({"theme": ["a"], "emotion": ["joy"], "stance": ["x"], "comment_count": [-1]})
        )


def test_association_on_the_dbt_unit_test_fixture():
    """The fixture of the dbt unit test test_emotion_shares_by_hand (models/marts/_marts__models.yml), pooled over
    identity: politics, anger/joy x pro_china/pro_foreign = [[2, 1], [2, 0]]."""
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    counts = pd.DataFrame(
        {
            "theme": ["politics"] * 4,
            "emotion": ["anger", "anger", "joy", "joy"],
            "stance": ["pro_china", "pro_foreign", "pro_china", "pro_foreign"],
            "comment_count": [2, 1, 2, 0],
        }
    )
    result = emotion_stance_association(counts)
    table = np.array([[2, 1], [2, 0]])
    statistic, p_value, dof, expected = chi2_contingency(table, correction=False)
    assert result["chi_square"].iloc[0] == pytest.approx(statistic)
    assert result["p_value"].iloc[0] == pytest.approx(p_value)
    assert result["degrees_of_freedom"].iloc[0] == dof
    assert result["cramers_v"].iloc[0] == pytest.approx(association(table, method="cramer"))
    assert result["expected_count"].tolist() == pytest.approx(expected.ravel().tolist())
    assert bool(result["is_low_expected"].iloc[0])  # every expected count is below 5
