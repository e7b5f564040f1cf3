# AnSinh — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The files holding hypothesis property tests (what `make test-deep` runs unless PYTEST_ARGS names others).
PROPERTY_TESTS = $(shell grep -rl --include='test_*.py' '^from hypothesis import' tests)

.PHONY: run test test-fast test-deep e2e lint bench bench-quick migrate clean setup

setup: $(STAMP)

# The virtualenv is rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## set up and start the gateway and the four services (embedded PostgreSQL by default)
	$(BIN)/ansinh up

migrate: $(STAMP)
	$(BIN)/ansinh migrate

test: $(STAMP)  ## set up and run the whole test suite on real PostgreSQL
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)  ## everything but the end-to-end tests that start real processes
	$(BIN)/python -m pytest -m 'not e2e' $(PYTEST_ARGS)

test-deep: $(STAMP)  ## the property tests with many more random examples (hypothesis profile "deep")
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -m 'not e2e' $(or $(PYTEST_ARGS),$(PROPERTY_TESTS))

e2e: $(STAMP)  ## only the end-to-end tests (real processes)
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy common gateway services ansinh

bench: $(STAMP)  ## benchmarks (never part of the test run); results go to docs/benchmarks.md
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
