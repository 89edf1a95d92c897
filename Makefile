# ConsultantOS: `make demo` builds a PDF for AAPL offline; `make test` runs the tests.
# Both create .venv and install the locked dependencies first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TICKER ?= AAPL
export CONSULTANTOS_HOME ?= $(CURDIR)/.consultantos
export DAGSTER_HOME ?= $(CONSULTANTOS_HOME)/dagster

.PHONY: install demo report test ui lint lock sample clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9

$(STAMP): $(BIN)/uv requirements.lock pyproject.toml
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	CONSULTANTOS_MODE=offline $(BIN)/consultantos report $(TICKER)

report: demo

test: $(STAMP)
	$(BIN)/python -m pytest

ui: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: $(STAMP)
	$(BIN)/ruff check consultantos_assets consultantos_assets_tests scripts bench

# Re-resolve the pinned dependency set after editing pyproject.toml.
lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# Rebuild the bundled sample from ../shared/data.
sample: $(STAMP)
	$(BIN)/python scripts/build_sample_data.py

clean:
	rm -rf $(VENV) .consultantos test-artifacts
