# roomlog — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: run test test-memo install dev lint translations bench bench-reports bench-capture clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The packages are installed with uv (from PyPI, into the same .venv): it resolves the same versions as pip
# and installs them in seconds, where pip took one to three minutes of every fresh clone's `make run` and
# `make test` (the same package list either way; pip stays in the venv for anything done by hand).
$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.9,<1'

UV_INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(VENV)/.installed: pyproject.toml | $(BIN)/uv
	$(UV_INSTALL) -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/uv
	$(UV_INSTALL) -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	$(BIN)/roomlog db upgrade
	$(BIN)/roomlog demo
	@echo "roomlog is serving on http://$(HOST):$(PORT) — stop with Ctrl+C"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --timeout 120 --access-logfile - wsgi:app

# lint-imports: the import contract in pyproject.toml [tool.importlinter] (layers, independent blueprints,
# no Flask below the views); reads the source only, offline, about a second.
# The four checks are independent: they run side by side (mypy without a cache, as on a fresh clone, is the
# longest; ruff, bandit and lint-imports finish beside it), each one's output kept together; any failure fails lint.
LINT_CHECKS := lint-ruff lint-bandit lint-contracts lint-mypy
.PHONY: $(LINT_CHECKS)
lint: dev
	@$(MAKE) --no-print-directory -j4 -Otarget $(LINT_CHECKS)

lint-ruff:
	$(BIN)/ruff check .

lint-bandit:
	$(BIN)/bandit -q -c pyproject.toml -r roomlog

lint-contracts:
	$(BIN)/lint-imports --no-cache

lint-mypy:
	$(BIN)/mypy

# The suite in TEST_WORKERS processes (pytest-xdist), a whole test module at a time per process so its
# module fixtures are built once; each process has its own PostgreSQL databases and ports. 0 = one process.
# Modules are handed out in the suite's collection order (tests/conftest.py: the longest first), not xdist's.
# Bytecode is cached even where the environment sets PYTHONDONTWRITEBYTECODE: otherwise every process
# compiles (and assertion-rewrites) roomlog, the tests and the pytest plugins' packages anew.
# The lint checks run beside the suite, not before it: mypy (the longest, ~25 s on a fresh clone) held one core
# while the other waited. The suite's output is live; the checks' output is kept and printed after it. Either
# failing fails `make test`.
# They run 10 steps nicer than the suite: at the same priority their ~28 CPU-s took a third of the two cores while
# the suite's processes started (pytest, its plugins, the conftest and the collection of every module, in each
# process), the critical path before the first test. Nicer, they take what the suite leaves idle (its processes
# wait for servers, PostgreSQL and each other for a quarter of a run) and still get ~10 % of a core when both are
# busy, so they end long before the suite.
# (Through LINT_BESIDE, not $(MAKE) in the recipe itself, so that `make -n test` only prints it.)
TEST_WORKERS ?= 2
LINT_BESIDE := nice -n 10 $(MAKE) --no-print-directory -j4 -Otarget $(LINT_CHECKS)
test: dev
	@lint_log=$$(mktemp); \
	$(LINT_BESIDE) > "$$lint_log" 2>&1 & lint=$$!; \
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS); \
	suite=$$?; wait $$lint; checks=$$?; \
	echo "--- make lint (ran beside the suite): exit $$checks"; cat "$$lint_log"; rm -f "$$lint_log"; \
	[ $$suite -eq 0 ] && [ $$checks -eq 0 ]

# The protection decisions the tests' demo builds start from (tests/protection-memo/, tests/support/carried_memo.py):
# run after changing the protection code, the demo's figures (operations/demo, demo_db.DEMO_TODAY) or a library
# version, and commit the result.
# A stale memo only misses (the build protects those years itself); it takes one demo build (minutes).
test-memo: dev
	$(BIN)/python -m tests.support.carried_memo

# The Danish catalogue (roomlog/translations/da/LC_MESSAGES/messages.po) is the source of every Danish text:
# extract the English msgids, merge them into the catalogue (new ones arrive empty: translate them in the .po),
# compile. No locations and sorted output, so a diff of the .po shows only what was said, not where.
BABEL_KEYWORDS = -k _l -k lazy_gettext -k N_ -k C_:1c,2
translations: dev
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output -w 100 -o roomlog/translations/messages.pot .
	$(BIN)/pybabel update -i roomlog/translations/messages.pot -d roomlog/translations -l da --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date -w 100
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
