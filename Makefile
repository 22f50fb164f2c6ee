# The course's commands. `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_ARGS ?=
# Jupyter refuses to run as root unless told to (containers, CI); allow it there only.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
FAST ?= 1
# Test runs keep their data (caches, models, results, times) apart from the learner's data/: a fast-mode
# `make test` must never overwrite a model a learner trained in full mode, nor delete their runs.
RUN_DATA ?= $(CURDIR)/data/test-run

# The simulated-accelerator lane (course_lib.fakegpu): every notebook on a device that computes on
# the CPU but fails the way CUDA fails (FAKE_DEVICE=fakemps: the way Apple MPS fails). NOTEBOOKS
# picks a subset, e.g. `make test-fakegpu NOTEBOOKS="notebooks/11_*.ipynb notebooks/14_*.ipynb"`.
FAKE_DEVICE ?= fakegpu
FAKE_DATA ?= $(CURDIR)/data/$(FAKE_DEVICE)-run
NOTEBOOKS ?= notebooks

.PHONY: i18n-update i18n-status install lab test unit run-all report readme doctor learner-copy test-torchtext bench clean test-fakegpu site robustness

# Install once; re-run only when pyproject.toml changes (the stamp file is older than it).
install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,site]"
	@touch $(STAMP)

# `make lab LANG=zh_CN` (or zh_TW): the Chinese edition. The notebooks are translated once into
# notebooks-zh_CN/ (your edits there are kept; delete a file to get it translated afresh), and
# COURSE_LANG makes the exercise checks and headline lines speak Chinese too. Any other LANG (your
# shell's, e.g. C.UTF-8) opens the English notebooks.
LAB_LANG := $(filter zh_CN zh_TW,$(LANG))

lab: install
ifeq ($(LAB_LANG),)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)
else
	$(BIN)/python -m course_lib translate --lang $(LAB_LANG) --keep-existing notebooks notebooks-$(LAB_LANG)
	COURSE_LANG=$(LAB_LANG) $(BIN)/jupyter lab --notebook-dir=notebooks-$(LAB_LANG) $(ALLOW_ROOT) $(LAB_ARGS)
endif

# After editing a notebook's English prose: refresh the translation catalogs (edited paragraphs become
# stale, new ones empty; tests/test_i18n.py fails until they are translated), then see what is open.
i18n-update: install
	$(BIN)/python -m course_lib i18n update

i18n-status: install
	$(BIN)/python -m course_lib i18n status

test: install
	$(BIN)/ruff check course_lib tests benchmarks scripts conftest.py
	COURSE_DATA_DIR=$(RUN_DATA) COURSE_FAST=$(FAST) $(BIN)/python -m pytest
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python -m course_lib report

unit: install
	$(BIN)/python -m pytest course_lib tests

run-all: install
	COURSE_DATA_DIR=$(RUN_DATA) COURSE_FAST=$(FAST) $(BIN)/python -m pytest notebooks
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python -m course_lib report
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python scripts/update_readme.py

report: install
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python -m course_lib report

readme: install
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python scripts/update_readme.py

doctor: install
	$(BIN)/python -m course_lib doctor

learner-copy: install
	$(BIN)/python -m course_lib make-learner-copy notebooks learner

bench: install
	$(BIN)/python benchmarks/bench_fit_overhead.py --threads 1

# Every notebook (fast mode) under each variation another machine brings — seeds 1 and 2, other CPU
# kernels, one thread, the simulated accelerator — then docs/robustness.md (min/median/max and margin of
# every headline). About 7x the fast course. ROBUSTNESS_FULL=1 adds two seeds in full mode (long).
# One variation: `.venv/bin/python scripts/robustness.py run seed1 --only 10`.
ROBUSTNESS_FULL ?= 0
robustness: install
	$(BIN)/python scripts/robustness.py all $(if $(filter 1,$(ROBUSTNESS_FULL)),--full,)

# The website: build/site/html (open build/site/html/index.html). Notebooks run in fast mode unless
# FAST=0; each mode keeps its own data and execution cache (data/site-run-fast, data/site-run-full).
site: install
	COURSE_FAST=$(FAST) $(BIN)/python scripts/build_site.py

test-fakegpu: install
	$(BIN)/python -m pytest -q tests/test_fakegpu.py
	COURSE_DATA_DIR=$(FAKE_DATA) COURSE_FAST=1 COURSE_DEVICE=$(FAKE_DEVICE) $(BIN)/python -m pytest $(NOTEBOOKS)

test-torchtext:
	bash scripts/test_torchtext.sh

clean:
	rm -rf learner .pytest_cache .ruff_cache data/cache data/runs data/models data/results.jsonl data/notebook_times*.json data/test-run data/fakegpu-run data/fakemps-run data/site-run-fast data/site-run-full build/site
