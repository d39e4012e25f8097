# roomlog — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: run test install dev lint translations bench bench-reports bench-capture clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	$(BIN)/roomlog db upgrade
	$(BIN)/roomlog demo
	@echo "roomlog is serving on http://$(HOST):$(PORT) — stop with Ctrl+C"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --timeout 120 --access-logfile - wsgi:app

lint: dev
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r roomlog
	$(BIN)/mypy

test: dev lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

translations: dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o roomlog/translations/messages.pot .
	$(BIN)/python scripts/fill_translations.py
	$(BIN)/pybabel compile -d roomlog/translations

# Not part of `make test`. Capture cost: roomlog's anonymous-visit POST against a bare Flask insert,
# side by side (docs/benchmarks-capture.md; set ROOMLOG_BENCH_POSTGRES_URL to measure PostgreSQL too).
bench-capture: install
	$(BIN)/python -m bench.capture $(BENCH_CAPTURE_ARGS)

# Reports at 1, 3 and 10 years of data: generates years of data and takes many minutes (docs/benchmarks.md).
bench-reports: dev
	$(BIN)/python -m bench

bench: bench-reports bench-capture

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
