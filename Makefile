# make run   — execute the three notebooks in place (full data; QUICK=1 for the quick subset)
# make test  — pytest: lint, the generated-code check, unit tests and nbval (strict) on the notebooks in quick mode,
#   one pytest worker per core (a bare `pytest` in .venv does the same: every option is in pyproject.toml)
# make test-current — the same on the current stack: .venv-current from environment-current.yml (Python 3.12,
#   NumPy 2, newest frameworks); MXNet's notebook and the pinned lane's own tools are skipped there, saying why
# Both set up what they need: .venv from environment.yml's pins (+ d2l_ext itself, editable), and the
# Fashion-MNIST files.

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

BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk
# a venv takes 8 GB (torch's CUDA build alone 5.5 GB), and pip unpacks wheels under TMPDIR first
VENV_FREE_GB ?= 10

# $(call kernel,python): register the venv's kernel as the notebooks name it (its temporary folder under the venv)
define kernel
mkdir -p $(dir $(1))../tmp && TMPDIR=$(dir $(1))../tmp $(1) -m ipykernel install --sys-prefix --name python3 \
  --display-name "Python 3 (ipykernel)" >/dev/null && rm -rf $(dir $(1))../tmp
endef

# $(call need_free_disk,what): stop before building `what` when the repo's or TMPDIR's disk has too little room
define need_free_disk
@for dir in . "$${TMPDIR:-/tmp}"; do \
  free=$$(df -Pk "$$dir" | awk 'NR == 2 {print int($$4 / 1048576)}'); \
  if [ "$$free" -lt $(VENV_FREE_GB) ]; then \
    echo "error: building $(1) needs about $(VENV_FREE_GB) GB free; $$(cd "$$dir" && pwd) has $$free GB." >&2; \
    echo "  Free some space (old virtual environments, pip cache purge) or set TMPDIR to a larger disk, and rerun." >&2; \
    exit 1; fi; done
endef

CURRENT_ENV := environment-current.yml
VENV_CURRENT := .venv-current
PY_CURRENT := $(VENV_CURRENT)/bin/python
STAMP_CURRENT := $(VENV_CURRENT)/.installed
# python<X.Y> of environment-current.yml, on the PATH or pyenv's (tools/pins.py prints the remedy where there is none)
PYTHON_CURRENT ?= $(shell python3 -m tools.pins $(CURRENT_ENV) --interpreter)

COLAB_ENV := environment-colab.yml
VENV_COLAB := .venv-colab
PY_COLAB := $(VENV_COLAB)/bin/python
STAMP_COLAB := $(VENV_COLAB)/.installed
PYTHON_COLAB ?= $(shell python3 -m tools.pins $(COLAB_ENV) --interpreter)

.PHONY: help venv data notebooks check-generated lint run exercises assignment grade test test-browser browser html mathjax lab \
	bench classroom-budget clean-venv venv-current test-current run-current venv-colab test-colab

help:
	@echo "make run [QUICK=1]   execute the three notebooks in place (full data: ~1 h on a 2-core CPU)"
	@echo "make exercises [QUICK=1] execute the answer key notebooks/exercises-pytorch.ipynb (about 35 min on 2 cores)"
	@echo "make assignment      the assignment's autograder and teacher's notebook -> build/assignment (docs/classroom.md)"
	@echo "make grade SUBMISSIONS=DIR  grade handed-in notebooks with it -> build/grades/scores.csv"
	@echo "make test            pytest: lint, generated-code check, unit tests, nbval on the notebooks (quick mode)"
	@echo "make html            the chapter as one web page, framework tabs, offline -> build/html/index.html"
	@echo "make test-browser    JupyterLab and the page in Chromium: open, run, tabs, math, Japanese (screenshots: build/browser)"
	@echo "make test-current    the same tests on Python 3.12, NumPy 2, newest frameworks (no MXNet there)"
	@echo "make test-colab      on Google Colab's runtime (Python 3.13): the first cell installs d2l_ext, then the tests"
	@echo "make run-current     execute them there, as copies in build/current-run (QUICK=1, TABS_CURRENT=pytorch)"
	@echo "make lab             open the notebooks in JupyterLab"
	@echo "make classroom-budget what one student costs: quick notebooks' time and memory -> benchmarks/results/"
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
	$(call need_free_disk,$(VENV))
	@echo "== building $(VENV) (once; about 2 minutes from the local wheel store, 8 GB)"
	"$(PYTHON)" -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: $(PYTHON) could not make a virtual environment." >&2; \
	  echo "  Debian/Ubuntu: apt-get install python3.11-venv; or pass PYTHON=/path/to/another/python3.11" >&2; \
	  exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	"$(PYTHON)" -m tools.pins > $(VENV)/requirements.txt
	"$(PYTHON)" -m tools.pins --no-deps > $(VENV)/requirements-no-deps.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --no-deps -r $(VENV)/requirements-no-deps.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(call kernel,$(PY))
	touch $(STAMP)

venv-current: $(STAMP_CURRENT)

$(STAMP_CURRENT): $(CURRENT_ENV) tools/pins.py pyproject.toml
	@[ -n "$(PYTHON_CURRENT)" ] || exit 1
	$(call need_free_disk,$(VENV_CURRENT))
	@echo "== building $(VENV_CURRENT) with $(PYTHON_CURRENT)"
	rm -rf $(VENV_CURRENT)
	"$(PYTHON_CURRENT)" -m venv $(VENV_CURRENT)
	$(PY_CURRENT) -m pip install --quiet --upgrade pip
	python3 -m tools.pins $(CURRENT_ENV) > $(VENV_CURRENT)/requirements.txt
	python3 -m tools.pins $(CURRENT_ENV) --no-deps > $(VENV_CURRENT)/requirements-no-deps.txt
	$(PY_CURRENT) -m pip install --quiet -r $(VENV_CURRENT)/requirements.txt
	$(PY_CURRENT) -m pip install --quiet --no-deps -r $(VENV_CURRENT)/requirements-no-deps.txt
	$(PY_CURRENT) -m pip install --quiet --no-deps -e .
	$(call kernel,$(PY_CURRENT))
	touch $(STAMP_CURRENT)

venv-colab: $(STAMP_COLAB)

# Colab's runtime alone: no d2l, no d2l_ext (the notebooks' first cell installs them, as a student's Colab does)
$(STAMP_COLAB): $(COLAB_ENV) tools/pins.py
	@[ -n "$(PYTHON_COLAB)" ] || exit 1
	$(call need_free_disk,$(VENV_COLAB))
	@echo "== building $(VENV_COLAB) with $(PYTHON_COLAB)"
	rm -rf $(VENV_COLAB)
	"$(PYTHON_COLAB)" -m venv $(VENV_COLAB)
	python3 -m tools.pins $(COLAB_ENV) > $(VENV_COLAB)/requirements.txt
	$(PY_COLAB) -m pip install --quiet -r $(VENV_COLAB)/requirements.txt
	$(call kernel,$(PY_COLAB))
	touch $(STAMP_COLAB)

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

# the teacher's side of the assignment (docs/classroom.md): build/assignment/autograder/ (solutions, rubrics, the zip);
# make grade SUBMISSIONS=folder: otter run on each notebook there, scores in build/grades/scores.csv
assignment: $(STAMP)
	$(PY) -m tools.assignment build

grade: assignment data
	@[ -n "$(SUBMISSIONS)" ] || { echo "error: make grade needs SUBMISSIONS=<folder of handed-in .ipynb>" >&2; exit 1; }
	$(PY) -m tools.assignment grade "$(SUBMISSIONS)"

test: $(STAMP) data
	$(PY) -m pytest

test-browser: $(STAMP) data browser html
	$(PY) -m pytest -m browser -n 0 tests/test_browser.py tests/test_page.py

# the chapter as one web page, offline, from the committed notebooks (tools/page.py): build/html/index.html
html: $(STAMP) mathjax
	$(PY) -m tools.page

mathjax:
	@if [ -f /usr/share/javascript/mathjax/MathJax.js ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "== installing Debian's libjs-mathjax"; \
	  apt-get install -y -qq libjs-mathjax >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq libjs-mathjax >/dev/null; }; \
	else echo "error: make html serves Debian's MathJax from the page: sudo apt-get install libjs-mathjax" >&2; \
	  exit 1; fi

browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "== installing Debian's $(BROWSER_PACKAGES)"; \
	  apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; }; \
	else echo "error: make test-browser needs Chromium and its driver: sudo apt-get install $(BROWSER_PACKAGES)" >&2; \
	  exit 1; fi
test-current run-current: export PATH := $(CURDIR)/$(VENV_CURRENT)/bin:$(PATH)
test-current run-current: export JUPYTER_PATH := $(CURDIR)/$(VENV_CURRENT)/share/jupyter
test-current: $(STAMP_CURRENT) data
	$(PY_CURRENT) -m pytest

test-colab: export PATH := $(CURDIR)/$(VENV_COLAB)/bin:$(PATH)
test-colab: export JUPYTER_PATH := $(CURDIR)/$(VENV_COLAB)/share/jupyter
# back to Colab's runtime, then the notebooks' first cell installs d2l and d2l_ext from this clone (tests/test_colab.py),
# then the tests that depend on the stack and nbval on the PyTorch and TensorFlow notebooks and the answer key
test-colab: $(STAMP_COLAB) data
	$(PY_COLAB) -m pip uninstall --quiet --yes d2l d2l_ext 2>/dev/null
	$(PY_COLAB) -m pytest -m colab_install -n 0 tests/test_colab.py
	$(PY_COLAB) -m pytest

# the PyTorch and TensorFlow notebooks executed on the current stack, as copies in build/current-run (the committed
# notebooks stay the pinned lane's); TABS_CURRENT=pytorch for one
TABS_CURRENT ?= pytorch tensorflow
run-current: $(STAMP_CURRENT) data
	mkdir -p build/current-run
	for tab in $(TABS_CURRENT); do cp notebooks/lr-scheduler-$$tab.ipynb build/current-run/; done
	D2L_EXT_QUICK=$(QUICK) $(PY_CURRENT) -m tools.execute $(TABS_CURRENT:%=build/current-run/lr-scheduler-%.ipynb)

# on 127.0.0.1 with a token; as root (containers, class servers) jupyter needs --allow-root. LAB_FLAGS: yours.
lab: $(STAMP) data
	cd notebooks && jupyter lab --ip=127.0.0.1 $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_FLAGS)

clean-venv:
	rm -rf $(VENV) $(VENV_CURRENT) $(VENV_COLAB)

bench: $(STAMP) data
	$(PY) -m benchmarks.bench

classroom-budget: $(STAMP) data
	$(PY) -m benchmarks.classroom
