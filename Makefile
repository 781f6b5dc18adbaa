# The few entry points a contributor needs. Every target creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: install install-dev demo demo-stop test chromium lint format bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[onnx,boosting]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[onnx,boosting,spark,dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## make demo: the main job on the embedded default (nothing else running): train, register, promote,
## deploy, then serve in the background and print a working curl line. `make demo-stop` stops the server.
demo: install
	$(VENV)/bin/modelport demo --background $(DEMO_ARGS)

demo-stop: install
	$(VENV)/bin/modelport demo --stop

## make test: the whole suite (needs the machine's PostgreSQL and Redis, and Debian's Chromium for the
## dashboard's browser tests: Playwright drives /usr/bin/chromium, never a browser it downloads)
test: install-dev chromium
	$(PY) -m pytest $(PYTEST_ARGS)

chromium:
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium) || \
	  (echo "the browser tests need Chromium: apt-get install chromium" >&2; exit 1)

lint: install-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: install-dev
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

## make bench: side-by-side benchmarks (minutes; never part of the suite)
bench: install-dev
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || \
	  (echo "the serving benchmark needs wrk: apt-get install wrk" >&2; exit 1)
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .modelport .pytest_cache .mypy_cache .ruff_cache
