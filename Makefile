# AnSinh — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The files holding hypothesis property tests (what `make test-deep` runs unless PYTEST_ARGS names others).
PROPERTY_TESTS = $(shell grep -rl --include='test_*.py' '^from hypothesis import' tests)

.PHONY: run demo test test-fast test-deep test-repeat e2e fuzz lint bench bench-quick migrate clean setup lock

setup: $(STAMP)

# The virtualenv installs exactly the locked versions (with their hashes), then the project itself without
# resolving anything again; it is brought up to date whenever the lock or pyproject.toml changes.
$(STAMP): pyproject.toml requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# After a change of dependencies in pyproject.toml: pin the runtime (containers) and the development set.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 -q -o requirements/runtime.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 -q -o requirements/dev.txt

run: $(STAMP)  ## set up and start the gateway and the four services (embedded PostgreSQL by default)
	$(BIN)/ansinh up

demo: $(STAMP)  ## make run, then seed a small province through the API (SCALE=0.02 by default); Ctrl-C stops
	$(BIN)/ansinh demo --scale $(or $(SCALE),0.02)

migrate: $(STAMP)
	$(BIN)/ansinh migrate

test: $(STAMP)  ## set up and run the whole test suite on real PostgreSQL
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)  ## everything but the end-to-end tests that start real processes
	$(BIN)/python -m pytest -m 'not e2e' $(PYTEST_ARGS)

test-deep: $(STAMP)  ## the property tests with many more random examples (hypothesis profile "deep")
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -m 'not e2e' $(or $(PYTEST_ARGS),$(PROPERTY_TESTS))

# N runs of `make test` in a row (20 unless `N=3 make test-repeat`) on a fresh clone of HEAD, with a setup of its own;
# stops at the first failure. One line per run in var/test-repeat-<time>.log (docs/operations.md).
test-repeat:  ## does the suite pass N times in a row on a fresh clone? (N=20 by default)
	@bash .ci/test-repeat

e2e: $(STAMP)  ## only the end-to-end tests (real processes)
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

fuzz: $(STAMP)  ## long schemathesis run over every operation through the gateway (a real stack of its own)
	ANSINH_FUZZ_MAX_EXAMPLES=$${ANSINH_FUZZ_MAX_EXAMPLES:-100} ANSINH_FUZZ_TIMEOUT=$${ANSINH_FUZZ_TIMEOUT:-10800} \
		$(BIN)/python -m pytest tests/fuzz -p no:randomly -rA $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff (lint and format check), then mypy: strict on common/, gateway/ and every service's rules/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy common gateway services ansinh
	$(BIN)/mypy --strict common gateway $(wildcard services/*/rules)

format: $(STAMP)  ## rewrite the code in the house format that `make lint` checks (ruff format, then ruff's fixes)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)  ## benchmarks (never part of the test run); results go to docs/benchmarks.md
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
