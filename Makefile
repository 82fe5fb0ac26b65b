# Curbside: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
QUESTION ?= Is SI joint imbalance a common cause of low back pain and stiffness that improves with movement and exercise?
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test test-fast test-llm lint bench install browser-deps clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,llm]'
	touch $(STAMP)

install: $(STAMP)

# Debian chromium for the browser tests (Playwright drives it; it never downloads a browser),
# and axe-core from the npm registry for the in-page accessibility check.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and not root: browser tests will be skipped"; fi; }
	@if command -v npm >/dev/null 2>&1 && [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then \
	  cd tests/browser && npm ci --no-audit --no-fund --silent; fi

demo: $(STAMP)
	$(BIN)/curbside ingest --starter-library
	$(BIN)/curbside stats
	$(BIN)/curbside ask "$(QUESTION)"
	@echo
	@echo "Curbside is starting at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(BIN)/curbside serve --host $(HOST) --port $(PORT)

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser and not postgres and not llm and not data"

test-llm: $(STAMP)
	$(BIN)/python -m pytest -q -m llm

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/answers.py
	$(BIN)/python benchmarks/safety.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache artifacts
