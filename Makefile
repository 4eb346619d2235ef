# FluxDesk: `make run` sets up and launches the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint unit smoke setup clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/fluxdesk

demo: $(STAMP)
	$(BIN)/fluxdesk --demo

lint: $(STAMP)
	$(BIN)/ruff check fluxdesk tests

unit: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

smoke: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/fluxdesk --smoke-test

test: lint unit smoke

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/fluxdesk --demo --screenshots docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist

.PHONY: package
package:  # the Linux bundle and tarball in dist/ (packaging/README.md)
	bash packaging/build-linux.sh
