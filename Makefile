# Tradewind: `make demo` and `make test` work on a fresh machine with Python 3.11 and Node 20.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
VENV ?= .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# domain errors carry translatable message templates (marketplace/errors.py)
ERROR_KEYWORDS := -k Invalid -k Unauthenticated -k Forbidden -k NotFound -k Conflict -k TooManyRequests -k TableError -k DomainError -k error_template -k refuse -k NP_:1,2
CATALOGS := $(patsubst %.po,%.mo,$(wildcard i18n/translations/*/LC_MESSAGES/messages.po))

.PHONY: install install-node demo serve worker test lint contracts gas messages clean

install: $(PY_STAMP) $(CATALOGS)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install-node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

i18n/translations/%/LC_MESSAGES/messages.mo: i18n/translations/%/LC_MESSAGES/messages.po $(PY_STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

demo: install
	$(BIN)/tradewind demo

serve: install install-node
	$(BIN)/tradewind serve --demo --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/tradewind worker

# The escrow's long stateful test runs beside the rest (two processes, so two cores are used); both must pass.
STATEFUL := tests/contracts/test_escrow_stateful.py

test: install install-node
	$(BIN)/ruff check .
	@mkdir -p $(VENV)/log; $(BIN)/pytest -q $(STATEFUL) > $(VENV)/log/stateful.txt 2>&1 & stateful=$$!; \
	$(BIN)/pytest --durations=20 --ignore=$(STATEFUL); rest=$$?; \
	wait $$stateful; long=$$?; echo "== $(STATEFUL)"; cat $(VENV)/log/stateful.txt; \
	test $$rest -eq 0 -a $$long -eq 0

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

contracts: install-node
	npm run build

gas: install install-node
	node_modules/.bin/anvil --port 8546 --silent & pid=$$!; sleep 2; \
	$(BIN)/python bench/gas.py --rpc http://127.0.0.1:8546; status=$$?; kill $$pid; exit $$status

messages: install
	$(BIN)/pybabel extract --no-location --sort-output -F i18n/babel.cfg $(ERROR_KEYWORDS) -o i18n/messages.pot marketplace
	$(BIN)/pybabel update -i i18n/messages.pot -d i18n/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
