# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export FLASK_APP = civic

.PHONY: run test setup dev-setup lint typecheck pytest migrate demo messages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

node_modules/axe-core/axe.min.js: package.json
	npm install --silent --no-audit --no-fund
	touch $@

setup: $(VENV)/.installed

dev-setup: $(VENV)/.installed-dev node_modules/axe-core/axe.min.js

migrate: setup
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo

run: demo
	CIVIC_ENV=development $(BIN)/flask run --host 127.0.0.1 --port 5000

lint: dev-setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev-setup
	$(BIN)/mypy --strict sortition

pytest: dev-setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

messages: dev-setup
	$(BIN)/python scripts/messages.py

bench: dev-setup
	$(BIN)/python benchmarks/sortition_vs_reference.py
	$(BIN)/python benchmarks/register_import.py
	$(BIN)/python benchmarks/votes.py
	$(BIN)/python benchmarks/dashboard.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .mypy_cache .ruff_cache
