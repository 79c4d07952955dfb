# The book's commands. Each target bootstraps what it needs on a machine that has only
# python3 (>= 3.11), make and git: it creates .venv and installs the pinned requirements,
# and skips the install when the requirements have not changed (stamp files in .venv/).
#
#   make book          build the HTML book into _build/html
#   make test          ruff, library tests, every chapter under nbval, the strict build
#   make binder-check  a fresh virtualenv from requirements.txt alone executes every notebook
#   make bench         performance harness: prints one JSON document
#   make lab           JupyterLab on the chapters
#   make clean         remove build products (keeps .venv; `make distclean` removes it too)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP_RUN := $(VENV)/.stamp-requirements
STAMP_DEV := $(VENV)/.stamp-requirements-dev
BUILD := _build
HTML := $(BUILD)/html
JCACHE := $(BUILD)/.jupyter_cache
LIB_STAMP := $(BUILD)/.stamp-library
BINDER_VENV := $(BUILD)/binder-venv
PIP := $(PY) -m pip --disable-pip-version-check
NBVAL_TIMEOUT ?= 120
LAB_ARGS ?=

.PHONY: help book test lint unit nbval strict binder-check bench lab clean distclean venv

help:
	@sed -n '5,11p' Makefile | sed 's/^# \{0,1\}//'

# ------------------------------------------------------------------ environment

# The installer: uv (pinned, from PyPI, installed into .venv first) when it can be had, since it
# installs the ~150 pinned packages in seconds where pip takes a minute or more; pip otherwise
# (set USE_UV=0 to force pip). Both resolve the same versions from the same files. Binder and
# `make binder-check` use pip alone.
UV_VERSION := 0.13.9
USE_UV ?= 1
# uv does not compile bytecode at install time: compiling all ~150 packages takes about 15 s,
# and the book imports only part of them. Python compiles a module when it is first imported and
# keeps the bytecode (in .venv, and in the git-ignored __pycache__ folders of the repository).
# A PYTHONDONTWRITEBYTECODE in the environment would make every kernel compile again all that
# it imports (the chapters then took 93 s to execute instead of about 45 s), so the commands of
# this Makefile run without it. pip (USE_UV=0) compiles at install time, as it always does.
unexport PYTHONDONTWRITEBYTECODE
HAVE_UV = [ "$(USE_UV)" = 1 ] && [ -x $(BIN)/uv ]
INSTALL = $$(if $(HAVE_UV); then echo "$(BIN)/uv pip install --python $(PY)"; else echo "$(PIP) install"; fi)
UNINSTALL = $$(if $(HAVE_UV); then echo "$(BIN)/uv pip uninstall --python $(PY)"; else echo "$(PIP) uninstall --yes"; fi)

# The virtualenv. With uv it is created without pip (ensurepip alone takes about 7 s): the pip of
# $(PYTHON) installs uv into it, and uv then adds the pip that ensurepip would have installed.
# When that cannot be done ($(PYTHON) has no pip, or uv cannot be had) or with USE_UV=0, it is
# created the usual way, with pip, and pip installs the requirements.
ENSUREPIP_VERSION = $$($(PYTHON) -c 'import ensurepip; print(ensurepip.version())')

$(PY):
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Python >= 3.11 is needed, $(PYTHON) is {v.major}.{v.minor}")'
	@if [ "$(USE_UV)" = 1 ] && $(PYTHON) -m venv --without-pip $(VENV) \
	    && $(PYTHON) -m pip --disable-pip-version-check --python $(PY) install --quiet uv==$(UV_VERSION) \
	    && $(BIN)/uv pip install --quiet --python $(PY) pip==$(ENSUREPIP_VERSION); then \
	  echo "$(VENV): created with uv $(UV_VERSION) and pip"; \
	else \
	  if [ "$(USE_UV)" = 1 ]; then echo "uv is not available: pip installs the requirements"; fi; \
	  echo "$(PYTHON) -m venv $(VENV)"; $(PYTHON) -m venv $(VENV); \
	fi

# Runtime requirements (the library, the book toolchain, JupyterLab). Also:
#  - warm matplotlib's font cache, whose one-time "building the font cache" message on stderr
#    would otherwise be a stderr warning in the first executed notebook (stderr_output: warn);
#  - pin the inline figure format of every IPython kernel of this venv to PNG, so that
#    outputs never drift between svg and png (nbval, the book and JupyterLab agree);
#  - remove rfc3987-syntax, an optional extra of jsonschema pulled in by jupyter-events that
#    nothing here uses: it compiles grammars on import, which cost about 3 s of CPU in every
#    chapter (myst_nb.glue imports nbformat, hence jsonschema). postBuild does the same on Binder.
$(STAMP_RUN): requirements.txt pyproject.toml | $(PY)
	@cmd="$(INSTALL) -r requirements.txt"; echo "$$cmd"; $$cmd
	@cmd="$(UNINSTALL) --quiet rfc3987-syntax"; echo "$$cmd"; $$cmd || true
	MPLBACKEND=Agg $(PY) -c 'import matplotlib.pyplot'
	mkdir -p $(VENV)/etc/ipython
	printf '%s\n' '# Written by the Makefile: PNG figures only.' \
	  'c.InlineBackend.figure_formats = {"png"}' > $(VENV)/etc/ipython/ipython_kernel_config.py
	touch $@

$(STAMP_DEV): requirements-dev.txt $(STAMP_RUN)
	@cmd="$(INSTALL) -r requirements-dev.txt"; echo "$$cmd"; $$cmd
	@cmd="$(UNINSTALL) --quiet rfc3987-syntax"; echo "$$cmd"; $$cmd || true
	touch $@

venv: $(STAMP_DEV)

# The execution cache is keyed on the notebooks' code only: drop it when the library changes,
# so that the book never shows outputs of an older gdlinear.
$(LIB_STAMP): $(wildcard lib/gdlinear/*.py lib/gdlinear/*/*.py)
	rm -rf $(JCACHE)
	mkdir -p $(BUILD)
	touch $@

# ------------------------------------------------------------------ the book

# The notebooks missing from the execution cache are first executed JOBS at a time (default: one
# per CPU) into it; the build then finds every notebook cached (tools/execute_parallel.py).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)

book: $(STAMP_RUN) $(LIB_STAMP)
	$(PY) tools/execute_parallel.py --cache $(JCACHE) --jobs $(JOBS)
	$(BIN)/jupyter-book build .
	@echo
	@echo "The book is at $(abspath $(HTML))/index.html"

# ------------------------------------------------------------------ tests
# `make test` stops at the first failing step (make's default). pytest's exit code 5
# (nothing collected) is a failure like any other non-zero code.

test: lint unit nbval strict test-browser
	@echo "make test: all steps passed"

lint: $(STAMP_DEV)
	$(BIN)/ruff check lib/ chapters/ benchmarks/ _ext/ .ci/ tools/

unit: $(STAMP_DEV)
	$(BIN)/pytest lib/tests -n auto --dist loadfile --durations 10

nbval: $(STAMP_DEV)
	@# The notebooks of the book, in toc order, from _toc.yml (the one list of chapters).
	@notebooks=$$($(PY) _ext/book_toc.py notebooks); \
	echo "nbval on:" $$notebooks chapters/_template.ipynb; \
	PYTHONPATH=tools $(BIN)/pytest -p no:python -p no:cacheprovider -p nbval_kernel_retry \
	  --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with nbval_sanitize.cfg --nbval-cell-timeout $(NBVAL_TIMEOUT) \
	  -n auto --dist loadscope --durations 5 $$notebooks chapters/_template.ipynb

strict: $(STAMP_DEV) $(LIB_STAMP)
	$(PY) tools/execute_parallel.py --cache $(JCACHE) --jobs $(JOBS)
	$(BIN)/jupyter-book build . --all -W -n --keep-going

binder-check:
	rm -rf $(BINDER_VENV)
	$(PYTHON) -m venv $(BINDER_VENV)
	$(BINDER_VENV)/bin/python -m pip --disable-pip-version-check install --quiet --upgrade pip
	$(BINDER_VENV)/bin/python -m pip --disable-pip-version-check install -r requirements.txt
	PATH=$(abspath $(BINDER_VENV))/bin:$$PATH bash postBuild
	$(BINDER_VENV)/bin/python .ci/binder_check.py --timeout $(NBVAL_TIMEOUT)

# ------------------------------------------------------------------ other

# stdout is the JSON document alone (progress goes to stderr); a copy is kept in _build/bench.json.
bench: $(STAMP_RUN)
	@mkdir -p $(BUILD)
	@$(PY) benchmarks/run.py --output $(BUILD)/bench.json

lab: $(STAMP_RUN)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/chapters \
	  $$(test "$$(id -u)" != 0 || echo --allow-root) $(LAB_ARGS)

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

# The published book: student editions, offline edition, browser test, book benchmark.
include mk/published.mk
