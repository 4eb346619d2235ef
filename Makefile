# FluxDesk: `make run` sets up and launches the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint unit smoke setup clean screenshots bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# The window needs Qt's X11 libraries on Linux: a missing one is named with the command that installs it.
run: $(STAMP)
	@$(BIN)/python -m fluxdesk.display_check
	$(BIN)/fluxdesk

demo: $(STAMP)
	@$(BIN)/python -m fluxdesk.display_check
	$(BIN)/fluxdesk --demo

lint: $(STAMP)  # ruff, the layer and UI-feature contracts (import-linter), then the types (mypy); all in pyproject.toml
	$(BIN)/ruff check fluxdesk tests
	$(BIN)/lint-imports
	$(BIN)/mypy

unit: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

smoke: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/fluxdesk --smoke-test

test: lint unit smoke

bench: $(STAMP)  # every performance figure; the last line is one JSON object (docs/performance.md)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/run_all.py $(BENCH_ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/fluxdesk --demo --screenshots docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist

.PHONY: package
package:  # the Linux bundle and tarball in dist/ (packaging/README.md)
	bash packaging/build-linux.sh

# Reliability and security drills (docs/reliability.md): `drills` runs them all (under 15 min on 2 cores),
# `drills-fast` the reduced set for CI (about a minute). The keyring drill talks to a throwaway gnome-keyring
# (its own D-Bus session and data folder) when one can be started. DRILLS_ARGS passes more options, e.g.
# DRILLS_ARGS="--only crash-cli --seed 42".
.PHONY: drills drills-fast
drills drills-fast: $(STAMP)
	@args="$(if $(filter drills-fast,$@),--fast) $(DRILLS_ARGS)"; \
	if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then \
	  keyrings=$$(mktemp -d); \
	  XDG_DATA_HOME=$$keyrings FLUXDESK_THROWAWAY_KEYRING=1 QT_QPA_PLATFORM=offscreen \
	    dbus-run-session -- bash .ci/with-keyring $(BIN)/python tests/drills/run.py $$args; \
	  code=$$?; rm -rf $$keyrings; exit $$code; \
	else \
	  QT_QPA_PLATFORM=offscreen $(BIN)/python tests/drills/run.py $$args; \
	fi
