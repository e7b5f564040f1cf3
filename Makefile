# AnSinh — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast e2e fuzz lint bench bench-quick migrate clean setup

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

e2e: $(STAMP)  ## only the end-to-end tests (real processes)
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

fuzz: $(STAMP)  ## long schemathesis run over every operation through the gateway (a real stack of its own)
	ANSINH_FUZZ_MAX_EXAMPLES=$${ANSINH_FUZZ_MAX_EXAMPLES:-100} ANSINH_FUZZ_TIMEOUT=$${ANSINH_FUZZ_TIMEOUT:-10800} \
		$(BIN)/python -m pytest tests/fuzz -p no:randomly -rA $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy common gateway services ansinh

bench: $(STAMP)  ## benchmarks (never part of the test run); results go to docs/benchmarks.md
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
