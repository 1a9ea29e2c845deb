# Every target sets up what it needs: `make test` and `make demo` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
TS_DIR := openapi/typescript
NPM_STAMP := $(TS_DIR)/node_modules/.installed

.PHONY: setup generate check-generated spec-check lint typecheck verifytypes test demo bench clean

setup: $(VENV_STAMP) $(NPM_STAMP)

$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[testing,cli]" --group dev
	touch $@

$(NPM_STAMP): $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

generate: $(VENV_STAMP)
	$(PY) generator/generate.py
	$(PY) scripts/unasync.py

check-generated: $(VENV_STAMP)
	$(PY) generator/generate.py --check
	$(PY) scripts/unasync.py --check

spec-check: setup
	bash scripts/spec_check.sh

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV_STAMP)
	$(VENV)/bin/mypy

# What a user's type checker sees of the installed package: every public symbol's type known
# (unknowns inside httpx itself are ignored). pyright finds the venv's packages through PATH.
verifytypes: $(VENV_STAMP)
	@out="$$(PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/pyright --verifytypes ching_client --ignoreexternal 2>&1)" \
		&& echo "$$out" | grep "completeness score" || { echo "$$out"; exit 1; }

test: setup spec-check check-generated lint typecheck verifytypes
	$(VENV)/bin/pytest

demo: $(VENV_STAMP)
	$(PY) scripts/demo.py

bench: $(VENV_STAMP)
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) $(TS_DIR)/node_modules $(TS_DIR)/generated .mypy_cache .pytest_cache .ruff_cache
