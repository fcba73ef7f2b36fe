# Weft: `make run` serves everything on SQLite; `make test` runs what CI checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/weft

.PHONY: run test test-embeddings lint format bench install install-dev clean e2e-deps screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	WEFT_INTERNAL_SOURCES=$${WEFT_INTERNAL_SOURCES:-true} $(BIN)/python manage.py migrate --no-input -v 0
	WEFT_INTERNAL_SOURCES=$${WEFT_INTERNAL_SOURCES:-true} $(BIN)/python manage.py bootstrapdemo --base-url http://$(HOST):$(PORT)
	WEFT_INTERNAL_SOURCES=$${WEFT_INTERNAL_SOURCES:-true} $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install-dev lint e2e-deps
	$(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q -p no:cacheprovider
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest -q -p no:cacheprovider -m "dbspecific"

# The browser tests drive Debian's chromium with Playwright (never a downloaded browser build).
e2e-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Regenerate docs/screenshots/ from the end-to-end browser test.
screenshots: install-dev e2e-deps
	WEFT_SCREENSHOT_DIR=docs/screenshots DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q -p no:cacheprovider tests/web/test_e2e_browser.py

# The real embedder (all-MiniLM-L6-v2 on the CPU) needs the optional packages, about 1.5 GB.
test-embeddings: install-dev
	$(BIN)/pip install --quiet -r requirements-embeddings.txt
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q -p no:cacheprovider -m embeddings

bench: install-dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles
