"""The emotion × stance chi-square test per theme (int_emotion_stance_association_tested).

The marts' other statistics (Wilson bounds, JS divergence, entropy) exist only in SQL; the pytest suite checks
them against statsmodels and scipy on a built warehouse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

# A chi-square test is flagged as unreliable when more than this share of expected counts is below 5
# (Cochran's rule of thumb).
LOW_EXPECTED_COUNT = 5.0
LOW_EXPECTED_SHARE_LIMIT = 0.2

# The output's columns and their dtypes. Int64 and boolean hold NULL for a degenerate theme (no test).
ASSOCIATION_DTYPES = {
    "theme": "str",
    "emotion": "str",
    "stance": "str",
    "observed_count": "int64",
    "expected_count": "float64",
    "adjusted_residual": "float64",
    "theme_comment_count": "int64",
    "chi_square": "float64",
    "degrees_of_freedom": "Int64",
    "p_value": "float64",
    "cramers_v": "float64",
    "low_expected_share": "float64",
    "is_low_expected": "boolean",
}
ASSOCIATION_COLUMNS = list(ASSOCIATION_DTYPES)
# What a theme without a testable table leaves NULL.
TEST_STATISTICS = [
    column
    for column in ASSOCIATION_COLUMNS
    if column not in ("theme", "emotion", "stance", "observed_count", "theme_comment_count")
]


def _empty_association() -> pd.DataFrame:
    frame = pd.DataFrame({column: [] for column in ASSOCIATION_COLUMNS})
    return _association_dtypes(frame)


def _association_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(ASSOCIATION_DTYPES)[ASSOCIATION_COLUMNS]


def _theme_association(observed: pd.DataFrame) -> dict[str, object]:
    """Chi-square statistics of one theme's full emotion × stance table (rows emotions, columns stances).

    Returns per-theme scalars plus full-grid frames of expected counts and adjusted residuals (nan where a row or
    column was dropped as all-zero, or everywhere when the table is degenerate).
    """
    nan_grid = pd.DataFrame(np.nan, index=observed.index, columns=observed.columns)
    result: dict[str, object] = {
        "theme_comment_count": int(observed.to_numpy().sum()),
        "chi_square": np.nan,
        "degrees_of_freedom": pd.NA,
        "p_value": np.nan,
        "cramers_v": np.nan,
        "low_expected_share": np.nan,
        "is_low_expected": pd.NA,
        "expected": nan_grid,
        "residual": nan_grid.copy(),
    }
    kept = observed.loc[observed.sum(axis=1) > 0, observed.sum(axis=0) > 0]
    row_count, column_count = kept.shape
    if row_count < 2 or column_count < 2:
        return result

    table = kept.to_numpy(dtype=float)
    total = table.sum()
    row_totals = table.sum(axis=1, keepdims=True)
    column_totals = table.sum(axis=0, keepdims=True)
    expected = row_totals @ column_totals / total
    chi_square = float(((table - expected) ** 2 / expected).sum())
    degrees_of_freedom = (row_count - 1) * (column_count - 1)
    # Adjusted (standardized) residual: approximately N(0, 1) under independence.
    residual = (table - expected) / np.sqrt(expected * (1 - row_totals / total) * (1 - column_totals / total))
    low_expected_share = float((expected < LOW_EXPECTED_COUNT).mean())

    result.update(
        chi_square=chi_square,
        degrees_of_freedom=degrees_of_freedom,
        p_value=float(scipy_stats.chi2.sf(chi_square, degrees_of_freedom)),
        cramers_v=float(np.sqrt(chi_square / (total * (min(row_count, column_count) - 1)))),
        low_expected_share=low_expected_share,
        is_low_expected=low_expected_share > LOW_EXPECTED_SHARE_LIMIT,
        expected=pd.DataFrame(expected, index=kept.index, columns=kept.columns).reindex_like(observed),
        residual=pd.DataFrame(residual, index=kept.index, columns=kept.columns).reindex_like(observed),
    )
    return result


def emotion_stance_association(counts: pd.DataFrame) -> pd.DataFrame:
    """Per theme, a chi-square test of independence of emotion and stance, with per-cell adjusted residuals.

    `counts` has columns theme, emotion, stance, comment_count; zero cells may be absent or present, and repeated
    (theme, emotion, stance) rows are summed. For each theme the emotion × stance table over the distinct emotions
    and stances of the whole input is built; all-zero rows and columns are dropped before the test (no Yates
    correction). A theme with fewer than 2 rows or 2 columns left gets NULL statistics.

    Returns one row per (theme, emotion, stance) of the full grid, sorted by (theme, emotion, stance), with the
    columns in ASSOCIATION_COLUMNS; cells of dropped rows/columns have NULL expected_count and adjusted_residual.
    """
    missing = {"theme", "emotion", "stance", "comment_count"} - set(counts.columns)
    if missing:
        raise ValueError(f"emotion_stance_association: missing columns {sorted(missing)}")
    if counts["comment_count"].isna().any() or (counts["comment_count"] < 0).any():
        raise ValueError("emotion_stance_association: comment_count must be non-null and non-negative")
    if counts.empty:
        return _empty_association()

    themes = sorted(counts["theme"].unique())
    emotions = sorted(counts["emotion"].unique())
    stances = sorted(counts["stance"].unique())
    summed = counts.groupby(["theme", "emotion", "stance"])["comment_count"].sum()

    rows: list[dict[str, object]] = []
    for theme in themes:
        observed = (
            summed.loc[theme]
            .unstack("stance")
            .reindex(index=emotions, columns=stances)
            .fillna(0)
            .astype("int64")
        )
        association = _theme_association(observed)
        expected: pd.DataFrame = association["expected"]  # type: ignore[assignment]
        residual: pd.DataFrame = association["residual"]  # type: ignore[assignment]
        theme_statistics = {
            key: value for key, value in association.items() if key not in ("expected", "residual")
        }
        for emotion in emotions:
            for stance in stances:
                rows.append(
                    {
                        "theme": theme,
                        "emotion": emotion,
                        "stance": stance,
                        "observed_count": int(observed.at[emotion, stance]),
                        "expected_count": float(expected.at[emotion, stance]),
                        "adjusted_residual": float(residual.at[emotion, stance]),
                        **theme_statistics,
                    }
                )
    return _association_dtypes(pd.DataFrame(rows))
