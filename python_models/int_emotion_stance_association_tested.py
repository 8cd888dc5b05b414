"""Per theme, the chi-square test of emotion x stance and each cell's adjusted standardized residual."""

from rednote_affect.stats import emotion_stance_association


def model(dbt, session):
    dbt.config(materialized="table")
    counts = (
        dbt.ref("int_emotion_cells_counted")
        .filter("identity = 'all'")
        .select("theme, emotion, stance, comment_count")
        .df()
    )
    return emotion_stance_association(counts)
