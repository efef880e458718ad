# The README's two commands: `make demo` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test compat lint typecheck unit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/testboost demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples noxfile.py
	$(BIN)/ruff format --check src tests benchmarks examples noxfile.py

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

test: lint typecheck unit

# The version matrix (noxfile.py): oldest and newest supported Flask / SQLAlchemy / click.
compat: $(STAMP)
	$(BIN)/nox --no-color

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .nox
