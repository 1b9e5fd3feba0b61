# Each target sets up what it needs: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/chanwatch demo

# Two workers: the suite is mostly CPU (matching, SQLite), and tests share no state.
# Bytecode is cached even where the environment turns it off: every worker and every
# SIGKILL test's subprocess would otherwise compile the whole project again.
test: $(STAMP) lint
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data/demo .pytest_cache .mypy_cache .ruff_cache
