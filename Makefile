# make run: open the local TUI (make run ARGS="--mock h100:8" passes flags to `allsmi local`);
# make test: run the suite. Both create .venv first; `. .venv/bin/activate` puts allsmi on PATH.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint snapshot clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/allsmi local $(ARGS)

# Two workers (CI has 2 cores): the suite runs in about 3 minutes instead of 5; a test module's
# tests stay on one worker (--dist loadscope), so module fixtures start once.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Benchmarks are scripts, not tests: each prints a table of sizes, times and ratios.
bench: $(STAMP)
	@for f in tests/benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check allsmi_py backends mock_server tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

snapshot: $(STAMP)
	$(BIN)/allsmi snapshot $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
