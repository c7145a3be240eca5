# Two commands for a new user: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# Every distribution of this repository, installed editable into one environment by `make test`.
DISTRIBUTIONS := core plugins/local plugins/s3 plugins/submission plugins/laion_fmri plugins/vision plugins/language

.PHONY: demo test lint typecheck docs install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The demo needs the core and the local plugin with its plotting extra, nothing else.
$(VENV)/.demo-installed: $(BIN)/python core/pyproject.toml plugins/local/pyproject.toml
	@echo "Installing only what the demo needs: brainio-core and brainio-local[demo] (matplotlib, pillow)."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile \
		-e ./core -e './plugins/local[demo]'
	touch $@

# Everything: every distribution with its extras and the development group (tests, docs).
$(VENV)/.installed: $(BIN)/python pyproject.toml $(foreach d,$(DISTRIBUTIONS),$(d)/pyproject.toml)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(foreach d,$(DISTRIBUTIONS),-e ./$(d)[all]) --group dev
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.demo-installed
	$(BIN)/brainio demo

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: install lint typecheck docs
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over core and plugins; --strict over the modules of the core's public API
STRICT_API := $(foreach m,loading errors records catalogs cache stimuli protocols hookspecs plugins,core/src/brainio/$(m).py)
typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy --strict $(STRICT_API)

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache site
