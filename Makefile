# The two commands of the README's quick start, and what they build on.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: serve test bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Install and serve the API on the embedded store (SQLite under ./var).
serve: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/grassroots serve

# Install what the tests need, lint and type-check, then run the whole suite
# (PostgreSQL on 127.0.0.1:5432).
test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

# The benchmarks, each figure beside its baseline (see bench/README.md).
bench: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m bench
