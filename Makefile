# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates or refreshes .venv first (only when pyproject.toml changed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The add-in manifest checks use Microsoft's npm tools; without Node they are skipped.
NPM_STAMP := addin/node_modules/.installed

.PHONY: demo test lint bench venv clean

venv: $(STAMP) $(NPM_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("ssi-sync needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(STAMP)

$(NPM_STAMP): addin/package.json addin/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix addin --no-audit --no-fund --loglevel=error && touch $(NPM_STAMP); \
	else echo "npm not found: the add-in manifest's npm checks will be skipped"; fi

demo: venv
	$(BIN)/flask --app app demo

test: venv
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	@set -e; found=0; for script in bench/*_bench.py; do \
		[ -e "$$script" ] || continue; found=1; \
		module=$$(basename "$$script" .py); \
		echo "== bench.$$module"; $(BIN)/python -m "bench.$$module"; \
	done; \
	if [ $$found -eq 0 ]; then echo "no benchmarks yet: bench/ holds none"; fi

clean:
	rm -rf $(VENV) instance *.egg-info addin/node_modules
