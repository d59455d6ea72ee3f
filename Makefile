# make run   — execute the three notebooks in place (full data; QUICK=1 for the quick subset)
# make test  — lint, the generated-code check, unit tests, and nbval (strict) on the notebooks in quick mode
# Both set up what they need: .venv from environment.yml's pins (+ d2l_ext itself, editable), and the
# Fashion-MNIST files. pytest and nbval read their options from pyproject.toml.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEBIAN_DATA := /usr/share/datasets/fashion-mnist
NOTEBOOKS := $(wildcard notebooks/lr-scheduler-*.ipynb)
QUICK ?= 0
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# our python3 kernel (in .venv) comes before any user-level kernel of that name
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter

.PHONY: help venv data notebooks check-generated lint run exercises test test-unit test-notebooks lab bench clean-venv

help:
	@echo "make run [QUICK=1]   execute the three notebooks in place (full data: ~1 h on a 2-core CPU)"
	@echo "make exercises [QUICK=1] execute the answer key notebooks/exercises-pytorch.ipynb (full data: ~30 min)"
	@echo "make test            lint + generated-code check + unit tests + nbval on the notebooks (quick mode)"
	@echo "make lab             open the notebooks in JupyterLab"
	@echo "make notebooks       regenerate notebooks and d2l_ext's generated code from notebooks/lr-scheduler.md"
	@echo "make check-generated fail when they drifted from the chapter"
	@echo "make bench           time our data path against d2l's (writes benchmarks/results/)"
	@echo "make lint            ruff check and ruff format --check"

venv: $(STAMP)

$(STAMP): environment.yml tools/pins.py pyproject.toml
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then \
	  echo "error: Python 3.11 not found (got PYTHON='$(PYTHON)')." >&2; \
	  echo "  Install it (Debian/Ubuntu: apt-get install python3.11 python3.11-venv; or pyenv install 3.11)" >&2; \
	  echo "  and rerun, or pass PYTHON=/path/to/python3.11, or use conda: conda env create -f environment.yml" >&2; \
	  exit 1; fi
	@echo "== building $(VENV) (once; about 2 minutes from the local wheel store, 8 GB)"
	"$(PYTHON)" -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: $(PYTHON) could not make a virtual environment." >&2; \
	  echo "  Debian/Ubuntu: apt-get install python3.11-venv; or pass PYTHON=/path/to/another/python3.11" >&2; \
	  exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	"$(PYTHON)" -m tools.pins > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	touch $(STAMP)

data:
	@if [ -n "$${FASHION_MNIST_DIR:-}" ] || [ -d "$(DEBIAN_DATA)" ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "== installing Debian's dataset-fashion-mnist"; \
	  apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null; }; \
	else echo "== no Debian dataset: d2l_ext will download Fashion-MNIST into ~/.keras/datasets on first use"; fi

notebooks: $(STAMP)
	$(PY) -m tools.build generate

check-generated: $(STAMP)
	$(PY) -m tools.build check

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

run: $(STAMP) data
	D2L_EXT_QUICK=$(QUICK) $(PY) -m tools.execute $(NOTEBOOKS)

exercises: $(STAMP) data
	D2L_EXT_QUICK=$(QUICK) $(PY) -m tools.execute notebooks/exercises-pytorch.ipynb

test: $(STAMP) data lint check-generated test-unit test-notebooks

test-unit: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -q tests

test-notebooks: $(STAMP)
	D2L_EXT_QUICK=1 $(PY) -m pytest -q notebooks

# on 127.0.0.1 with a token; as root (containers, class servers) jupyter needs --allow-root. LAB_FLAGS: yours.
lab: $(STAMP) data
	cd notebooks && jupyter lab --ip=127.0.0.1 $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_FLAGS)

clean-venv:
	rm -rf $(VENV)

bench: $(STAMP) data
	MPLBACKEND=Agg $(PY) -m benchmarks.bench
