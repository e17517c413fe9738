# Two commands set everything up on a fresh machine:
#   make demo   - virtual environment, install, train + save + load + predict a model
#   make test   - virtual environment with the test tools, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint bench clean install install-dev kedro-example

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[all]"
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

demo: $(STAMP_RUN)
	$(BIN)/python examples/quickstart.py

# The Kedro example project: train (logs + registers iris@champion), then predict from the registry.
kedro-example: $(STAMP_RUN)
	cd examples/kedro-iris && KEDRO_DISABLE_TELEMETRY=true $(abspath $(BIN))/kedro run --pipelines training
	cd examples/kedro-iris && $(abspath $(BIN))/python predict.py

# The suite, then every docstring example in src/ (a separate run: test helpers are not doctests).
test: $(STAMP_DEV)
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --doctest-modules src

lint: $(STAMP_DEV)
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports

bench: $(STAMP_DEV)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-output
