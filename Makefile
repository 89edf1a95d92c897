# ConsultantOS: `make demo` builds a PDF for AAPL offline; `make test` runs the tests.
# Both create .venv and install locked dependencies from PyPI first: `make demo` what the product
# needs (requirements.lock), `make test` that plus the test tools and MiniLM on onnxruntime
# (requirements-dev.lock, a superset). Once the dev set is installed, demo keeps it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_DEV := $(VENV)/.installed-dev
STAMP  := $(if $(wildcard $(STAMP_DEV)),$(STAMP_DEV),$(VENV)/.installed)
TICKER ?= AAPL
export CONSULTANTOS_HOME ?= $(CURDIR)/.consultantos
export DAGSTER_HOME ?= $(CONSULTANTOS_HOME)/dagster

.PHONY: bench bench-quick check install install-dev demo report test ui pools lint lock sample clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9

# The product's install compiles its bytecode ahead of time (a first report otherwise spends about
# 13 s compiling what it imports) except the libraries' own test folders, which nothing imports: that
# keeps `du -sh .venv` at 1.2 GB instead of 1.3 GB. A file that does not compile is compiled (or not)
# on first import instead.
$(VENV)/.installed: $(BIN)/uv requirements.lock pyproject.toml
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 -x '/tests?/' "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
		> /dev/null || echo "note: some files were not compiled ahead of time; they compile on first import"
	touch $@

$(STAMP_DEV): $(BIN)/uv requirements-dev.lock pyproject.toml
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed
	touch $@

install: $(STAMP)

install-dev: $(STAMP_DEV)

demo: $(STAMP)
	CONSULTANTOS_MODE=offline $(BIN)/consultantos report $(TICKER)

report: demo

test: $(STAMP_DEV)
	$(BIN)/python -m pytest

# The UI plus the daemon (schedules, sensors, automation). Each run process throttles SEC to
# EDGAR_RATE_LIMIT_PER_SEC; 2 x at most 4 concurrent runs stays under SEC's 10 requests/s.
# `dg dev` loads the project named in pyproject.toml's [tool.dg] from .venv.
ui: pools
	EDGAR_RATE_LIMIT_PER_SEC=$${EDGAR_RATE_LIMIT_PER_SEC:-2} VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev -h 127.0.0.1 -p 3000

# The definitions load (every asset, check, job, schedule, sensor and resource), without running anything.
check: $(STAMP)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

# The instance (created from dagster.yaml if missing) with one concurrency limit per external service.
pools: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -c "from consultantos_assets.defs.pools import POOL_LIMITS; print(*(f'{k} {v}' for k, v in POOL_LIMITS.items()), sep='\\n')" | \
	  while read pool limit; do $(BIN)/dagster instance concurrency set $$pool $$limit >/dev/null; done
	$(BIN)/dagster instance concurrency get --all

lint: $(STAMP_DEV)
	$(BIN)/ruff check consultantos_assets consultantos_assets_tests scripts bench

# Re-resolve the pinned dependency sets after editing pyproject.toml (the dev set is held to the
# runtime set's versions).
lock: $(BIN)/uv
	$(BIN)/uv pip compile --quiet pyproject.toml --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --extra onnx --python-version 3.11 \
	  --constraint requirements.lock -o requirements-dev.lock

# Rebuild the bundled sample from ../shared/data plus the peers' raw payloads in SAMPLE_EXTRA
# (a folder laid out like ../shared/data with a SOURCES.md; see sample_data/PROVENANCE.md).
SAMPLE_EXTRA ?= ../shared/data_peers
sample: $(STAMP)
	@test -f $(SAMPLE_EXTRA)/SOURCES.md || { echo "SAMPLE_EXTRA=$(SAMPLE_EXTRA) holds no SOURCES.md: the peers' raw payloads (sample_data/PROVENANCE.md) are needed"; exit 1; }
	$(BIN)/python scripts/build_sample_data.py --extra $(SAMPLE_EXTRA)

clean:
	rm -rf $(VENV) .consultantos test-artifacts

# Benchmarks (not tests): prints one table and writes bench/results.json. ~10 minutes; bench-quick ~4.
bench: $(STAMP_DEV)
	$(BIN)/python bench/run_all.py

bench-quick: $(STAMP_DEV)
	$(BIN)/python bench/run_all.py --quick
