# LaborBridge — `make run` opens the app, `make test` runs the whole suite, `make check` lint and types.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check bench demo clean bundle bundle-check system pins

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "LaborBridge needs Python 3.11 or newer"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "Cannot create the virtual environment: on Debian/Ubuntu run  sudo apt install python3-venv  and try again."; \
	  rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $(STAMP)

# Qt's system libraries (Linux): one sentence naming the apt-get line when one is missing.
system:
	@$(PYTHON) tools/check_system.py

run: system $(STAMP)
	$(PY) main.py

test: system $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

# The pins (requirements*.txt, every dependency with its hashes, for every platform) are generated from
# requirements*.in by uv (pinned in requirements-dev.txt). Versions already pinned are kept; to move one:
# make pins UPGRADE="--upgrade-package pandas". The dev and build pins take the runtime's versions.
UV_COMPILE = $(PY) -m uv pip compile --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make pins" $(UPGRADE)
pins: $(STAMP)
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) -c requirements.txt requirements-dev.in -o requirements-dev.txt
	$(UV_COMPILE) -c requirements.txt requirements-build.in -o requirements-build.txt

# ruff, then mypy with its per-module ratchet (tools/check_types.py); see README, "Tests and checks".
check: $(STAMP)
	$(PY) -m ruff check .
	$(PY) tools/check_types.py

bench: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(PY) bench/bench.py

demo: $(STAMP)
	$(PY) main.py demo

# One-folder bundle (dist/LaborBridge) with PyInstaller; bundle-check rebuilds only when sources changed,
# then starts the BUILT executable headless (--self-test, the console launcher, start-up time).
BUNDLE_EXE := dist/LaborBridge/LaborBridge
BUNDLE_SOURCES := main.py requirements.txt requirements-build.txt $(shell find core db ui matching resources packaging \
	-type f -not -path '*/__pycache__/*' 2>/dev/null)

bundle: $(STAMP)
	bash packaging/build.sh

$(BUNDLE_EXE): $(STAMP) $(BUNDLE_SOURCES)
	bash packaging/build.sh

bundle-check: $(BUNDLE_EXE)
	$(PY) packaging/check_bundle.py dist/LaborBridge

clean:
	rm -rf $(VENV) .pytest_cache build dist
