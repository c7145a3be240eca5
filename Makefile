# Two commands for a new user: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Every distribution of this repository, installed editable into one environment.
DISTRIBUTIONS := core plugins/local plugins/s3 plugins/submission plugins/laion_fmri plugins/vision plugins/language

.PHONY: demo test typecheck install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(foreach d,$(DISTRIBUTIONS),$(d)/pyproject.toml)
	$(BIN)/python -m pip install --quiet $(foreach d,$(DISTRIBUTIONS),-e ./$(d)[all]) --group dev
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/brainio demo

test: install typecheck
	$(BIN)/python -m pytest

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
