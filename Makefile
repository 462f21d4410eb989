# Groundwork: two commands on a fresh machine.
#   make demo  - the travel planner end to end on embedded defaults
#   make test  - ruff, mypy and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint serve bench bench-feast clean system-deps test-servers

$(STAMP): pyproject.toml
	@scripts/ensure-python.sh $(PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	@touch $@

system-deps:
	@scripts/ensure-java.sh

test-servers: $(STAMP)
	@scripts/ensure-test-servers.sh
	@scripts/ensure-terraform.sh
	@scripts/ensure-checkov.sh

demo: $(STAMP) system-deps
	$(BIN)/groundwork demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) system-deps test-servers lint
	$(BIN)/pytest -q -rs

serve: $(STAMP)
	$(BIN)/groundwork serve

bench: $(STAMP) system-deps
	$(BIN)/python bench/serve.py

# Feast and Groundwork side by side (needs redis-server on 127.0.0.1:6379);
# extra options in BENCH_ARGS, e.g. BENCH_ARGS="--state-dir .state --json feast.json".
bench-feast: $(STAMP) system-deps
	$(BIN)/python bench/feast_vs_groundwork.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .state tests/servers/node_modules
