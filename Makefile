# LaborBridge — `make run` opens the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench demo clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "LaborBridge needs Python 3.11 or newer"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "Cannot create the virtual environment: on Debian/Ubuntu run  sudo apt install python3-venv  and try again."; \
	  rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench.py

demo: $(STAMP)
	$(PY) main.py demo

clean:
	rm -rf $(VENV) .pytest_cache build dist
