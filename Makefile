# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates or refreshes .venv first (only when pyproject.toml changed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The add-in manifest checks use Microsoft's npm tools; without Node they are skipped.
NPM_STAMP := addin/node_modules/.installed
# `make test` runs the suite on one worker per core (at most 8; each has its own database and
# Redis), a test file's tests on one worker. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 8 ] && n=8; echo $$n)

.PHONY: demo serve test lint bench audit venv clean catalogues

# The compiled message catalogues (not committed): built from the .po files kept in the repo.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard backend/translations/*/LC_MESSAGES/messages.po))

venv: $(STAMP) $(NPM_STAMP) $(CATALOGUES)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Extract every marked string into messages.pot and bring each language's catalogue up to date
# (new entries empty, changed ones fuzzy); translate them in the .po files, then `make venv`.
catalogues: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output --no-wrap --omit-header -F babel.cfg \
		-k _l -k N_ -k plural_pattern:1,2 -o backend/translations/messages.pot backend static
	$(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching --no-wrap --ignore-pot-creation-date \
		-i backend/translations/messages.pot -d backend/translations

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("ssi-sync needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(STAMP)

$(NPM_STAMP): addin/package.json addin/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix addin --no-audit --no-fund --loglevel=error && touch $(NPM_STAMP); \
	else echo "npm not found: the add-in manifest's npm checks will be skipped"; fi

demo: venv
	$(BIN)/flask --app app demo

# The production layout on this machine (gunicorn, RQ workers, the scheduler) on the configured
# DATABASE_URL and REDIS_URL: PostgreSQL and Redis, as in production.
serve: venv
	$(BIN)/flask --app app serve --workers $${SERVE_WORKERS:-2}

test: venv
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=10

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: venv
	@set -e; found=0; for script in bench/*_bench.py; do \
		[ -e "$$script" ] || continue; found=1; \
		module=$$(basename "$$script" .py); \
		echo "== bench.$$module"; $(BIN)/python -m "bench.$$module"; \
	done; \
	if [ $$found -eq 0 ]; then echo "no benchmarks yet: bench/ holds none"; fi

# pip-audit asks PyPI which releases have published advisories. Where PyPI does not answer
# that (an offline mirror), the audit says so and is skipped rather than reporting "no known
# vulnerabilities" for packages it could not check.
AUDIT_PROBE := https://pypi.org/pypi/requests/2.31.0/json

audit: venv
	@$(BIN)/python -m pip install --quiet 'pip-audit>=2.7'
	@if $(BIN)/python -c 'import json, sys, urllib.request; \
		answer = json.load(urllib.request.urlopen(sys.argv[1], timeout=20)); \
		sys.exit(0 if answer.get("vulnerabilities") else 1)' "$(AUDIT_PROBE)" 2>/dev/null; then \
		$(BIN)/pip-audit --skip-editable --progress-spinner off; \
	else \
		echo "audit skipped: PyPI's advisory data (pip-audit's database) is not reachable from here"; \
	fi

clean:
	rm -rf $(VENV) instance *.egg-info addin/node_modules
