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
# The full-mode run whose numbers the README's context lines quote (`make readme-context`).
FULL_DATA ?= $(RUN_DATA)

# The simulated-accelerator lane (course_lib.fakegpu): every notebook on a device that computes on
# the CPU but fails the way CUDA fails (FAKE_DEVICE=fakemps: the way Apple MPS fails). NOTEBOOKS
# picks a subset, e.g. `make test-fakegpu NOTEBOOKS="notebooks/11_*.ipynb notebooks/14_*.ipynb"`.
FAKE_DEVICE ?= fakegpu
FAKE_DATA ?= $(CURDIR)/data/$(FAKE_DEVICE)-run
NOTEBOOKS ?= notebooks

.PHONY: i18n-update i18n-status install lab lab-install test unit check test-floor run-all report readme readme-context doctor learner-copy assignments install-instructor test-torchtext bench clean test-fakegpu site robustness

# Which torch a fresh venv gets (scripts/install_torch.py, run before the course is installed): auto takes
# PyTorch's CPU build on Linux without a visible NVIDIA GPU (about 0.2 GB instead of PyPI's CUDA build and
# its NVIDIA libraries, about 3 GB) and PyPI's default elsewhere; cpu and default force one. Without the CPU
# index (TORCH_INDEX_URL overrides it) the install falls back to PyPI's default and says so. A venv that
# has torch keeps it: `rm -rf .venv && make lab TORCH=default` to change builds.
TORCH ?= auto

# Install once; re-run only when pyproject.toml changes (the stamp file is older than it).
install: $(STAMP)

$(STAMP): pyproject.toml scripts/install_data_carriers.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python scripts/install_torch.py $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[dev,site]"
	bash scripts/install_data_carriers.sh $(BIN)/python
	@touch $(STAMP)

# `make lab LANG=zh_CN` (or zh_TW): the Chinese edition. The notebooks are translated once into
# notebooks-zh_CN/ (your edits there are kept; delete a file to get it translated afresh), and
# COURSE_LANG makes the exercise checks and headline lines speak Chinese too. Any other LANG (your
# shell's, e.g. C.UTF-8) opens the English notebooks.
LAB_LANG := $(filter zh_CN zh_TW,$(LANG))

# The lab installs what a learner needs: pyproject's dependencies (plus [i18n] for the Chinese edition),
# not the contributors' and the website's tools ([dev], [site]: pytest, ruff, Sphinx, Playwright, jieba);
# its own stamp, and nothing to do after a full `make install`. It ends with the venv's size.
LAB_STAMP := $(VENV)/.installed-lab$(if $(LAB_LANG),-i18n)
lab-install: $(LAB_STAMP)

$(LAB_STAMP): pyproject.toml scripts/install_data_carriers.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if [ $(STAMP) -nt pyproject.toml ] && [ $(STAMP) -nt scripts/install_data_carriers.sh ]; then \
		echo "$(VENV): the full install (make install) has the lab's packages"; \
	else \
		$(BIN)/python -m pip install --quiet --upgrade pip && \
		$(BIN)/python scripts/install_torch.py $(TORCH) && \
		$(BIN)/python -m pip install --quiet -e ".$(if $(LAB_LANG),[i18n])" && \
		bash scripts/install_data_carriers.sh $(BIN)/python || exit 1; \
	fi
	@echo "$(VENV): $$(du -sh $(VENV) | cut -f1) on disk (the learner's packages$(if $(LAB_LANG), and the Chinese edition's)$$([ -e $(STAMP) ] && echo '; make install added the contributors'"'"' tools'))"
	@touch $@

lab: $(LAB_STAMP)
ifeq ($(LAB_LANG),)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)
else
	$(BIN)/python -m course_lib translate --lang $(LAB_LANG) --keep-existing notebooks notebooks-$(LAB_LANG)
	COURSE_LANG=$(LAB_LANG) $(BIN)/jupyter lab --notebook-dir=notebooks-$(LAB_LANG) $(ALLOW_ROOT) $(LAB_ARGS)
endif

# After editing a notebook's English prose: refresh the translation catalogs (edited paragraphs become
# stale, new ones empty; tests/test_i18n.py fails until they are translated), then see what is open.
# They need only polib and nbformat (pyproject's [i18n] and [dev] pins), not the course's install: the
# full install's venv when there is one, else a venv of their own, $(I18N_VENV) (measured in a fresh clone:
# 33 MB, and 26 s for `make i18n-update` with the venv built).
I18N_TOOLS := "polib>=1.2" "nbformat>=5.9"
I18N_VENV ?= .venv-i18n
I18N_BIN := $(if $(wildcard $(STAMP)),$(BIN),$(I18N_VENV)/bin)

$(I18N_VENV)/.installed:
	@test -x $(I18N_VENV)/bin/python || $(PYTHON) -m venv $(I18N_VENV)
	$(I18N_VENV)/bin/python -m pip install --quiet $(I18N_TOOLS)
	@touch $@

i18n-update: $(if $(wildcard $(STAMP)),,$(I18N_VENV)/.installed)
	$(I18N_BIN)/python -m course_lib i18n update

i18n-status: $(if $(wildcard $(STAMP)),,$(I18N_VENV)/.installed)
	$(I18N_BIN)/python -m course_lib i18n status

# `make test` (what CI runs) in phases, each closed by a line "[phase] NAME: N s" (.ci/run tabulates them):
# ruff; the unit tests and doctests (course_lib, tests/ without the site test); then ONE pytest session
# with every notebook under nbval (fast mode) followed by the site test (tests/test_site.py, ordered last
# by conftest.py). Each notebook is executed once: nbval keeps every notebook that passed, with its
# outputs, in $(RUN_DATA)/executed under its fingerprint (course_lib.fingerprint), and the site test
# renders those instead of executing again. Then the course report.
RUFF_PATHS := course_lib tests benchmarks scripts conftest.py
# The unit tests run on UNIT_WORKERS processes (pytest-xdist; 0: in this process): measured faster on a
# 2-core machine with 2 (466 s vs 571 s). The notebooks never do: they depend on each other's models.
UNIT_WORKERS ?= 2
UNIT_ARGS := -n $(UNIT_WORKERS) course_lib tests --ignore=tests/test_site.py
# $(call phase,NAME,COMMAND[,ON_FAILURE]): run COMMAND (no commas in it), print "[phase] NAME: N s" and
# fail as it failed; with ON_FAILURE, run that instead of failing (the next phases still run).
phase = @start=$$(date +%s); $(2); rc=$$?; \
	echo "[phase] $(1): $$(( $$(date +%s) - start )) s$$([ $$rc = 0 ] || echo " (FAILED, exit $$rc)")"; \
	$(if $(3),[ $$rc = 0 ] || { $(3); }; exit 0,exit $$rc)
# A unit test failure does not stop the notebooks (they used to run in the same session): `make test`
# fails at the end instead.
UNIT_FAILED = $(RUN_DATA)/unit-tests.failed

test: install
	$(call phase,ruff,$(BIN)/ruff check $(RUFF_PATHS))
	@rm -f $(UNIT_FAILED)
	$(call phase,unit tests,COURSE_DATA_DIR=$(RUN_DATA) COURSE_FAST=$(FAST) $(BIN)/python -m pytest $(UNIT_ARGS),mkdir -p $(RUN_DATA) && touch $(UNIT_FAILED))
	$(call phase,notebooks + site,COURSE_DATA_DIR=$(RUN_DATA) COURSE_FAST=$(FAST) $(BIN)/python -m pytest notebooks tests/test_site.py)
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python -m course_lib report
	@if [ -e $(UNIT_FAILED) ]; then rm -f $(UNIT_FAILED); echo "make test: the unit tests failed (see above)"; exit 1; fi

# The unit tests and doctests alone (no notebook, no site build).
unit: install
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python -m pytest $(UNIT_ARGS)

# Before a commit: ruff, the unit tests and doctests, and only the notebooks your change can affect —
# those changed versus BASE (committed or not, untracked included) and those importing a changed
# course_lib module, directly or through other modules (`python -m course_lib.fingerprint affected`
# prints which and why; a change to course_lib/__init__.py, config.py, device.py, conftest.py or
# pyproject.toml means all of them). It leaves the slowest tests (torchrun jobs, the wheel in a fresh
# venv, the recipes, ...: conftest.SLOW_TESTS; QUICK=0 runs them too) and the site build to `make test`.
BASE ?= main
QUICK ?= 1
check: install
	$(call phase,ruff,$(BIN)/ruff check $(RUFF_PATHS))
	$(call phase,unit tests,COURSE_DATA_DIR=$(RUN_DATA) COURSE_FAST=$(FAST) $(BIN)/python -m pytest -q $(if $(filter 1,$(QUICK)),--quick) $(UNIT_ARGS))
	@nbs=$$($(BIN)/python -m course_lib.fingerprint affected --base $(BASE)) || exit 1; \
	if [ -z "$$nbs" ]; then echo "No notebook to run."; exit 0; fi; \
	start=$$(date +%s); COURSE_DATA_DIR=$(RUN_DATA) COURSE_FAST=$(FAST) $(BIN)/python -m pytest -q $$nbs; rc=$$?; \
	echo "[phase] notebooks: $$(( $$(date +%s) - start )) s"; exit $$rc

run-all: install
	COURSE_DATA_DIR=$(RUN_DATA) COURSE_FAST=$(FAST) $(BIN)/python -m pytest notebooks
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python -m course_lib report
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python scripts/update_readme.py

report: install
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python -m course_lib report

readme: install
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python scripts/update_readme.py

# The README's context lines from scripts/readme_context.md: fast-mode numbers from RUN_DATA, full-mode
# ones from FULL_DATA (e.g. FULL_DATA=data/robustness/full/default).
readme-context: install
	COURSE_DATA_DIR=$(RUN_DATA) $(BIN)/python scripts/update_readme.py --context --full-data $(FULL_DATA)

doctor: install
	$(BIN)/python -m course_lib doctor

learner-copy: install
	$(BIN)/python -m course_lib make-learner-copy notebooks learner

# The instructor kit (docs/instructors.md): nbgrader (the [instructor] extra, its own stamp) over the learner's
# install, then the nbgrader course folder $(ASSIGNMENTS) with every notebook's assignment written and released.
# ASSIGNMENT_ARGS="--only 01 04 --exercises-only": some notebooks, their exercises only.
ASSIGNMENTS ?= assignments
ASSIGNMENT_ARGS ?=
INSTRUCTOR_STAMP := $(VENV)/.installed-instructor
$(INSTRUCTOR_STAMP): pyproject.toml | $(LAB_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[instructor]"
	@touch $@

install-instructor: $(INSTRUCTOR_STAMP)

assignments: $(INSTRUCTOR_STAMP)
	$(BIN)/python -m course_lib make-assignments notebooks $(ASSIGNMENTS) $(ASSIGNMENT_ARGS)
	cd $(ASSIGNMENTS) && for dir in source/*/; do \
		PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/nbgrader generate_assignment "$$(basename $$dir)" --force || exit 1; \
	done

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
# FAST=0. When the last `make test` (or `make run-all`) executed every notebook with the same code,
# course_lib, packages, mode, device and seed, the site renders those outputs and executes nothing;
# otherwise it executes them, each mode with its own data and execution cache (data/site-run-fast,
# data/site-run-full). `python scripts/build_site.py --execute` always executes.
site: install
	COURSE_FAST=$(FAST) $(BIN)/python scripts/build_site.py --executed $(RUN_DATA)/executed

# The lane is also perturbed, as another machine would be: another seed (COURSE_SEED, default 1) and
# another CPU kernel path (ATEN_CPU_CAPABILITY=default: no SIMD; this machine's torch picks AVX2).
# FAKE_UNIT=0 skips tests/test_fakegpu.py, which `make test` has just run (.ci/run sets it).
FAKE_SEED ?= 1
FAKE_ISA ?= default
FAKE_UNIT ?= 1
test-fakegpu: install
	$(if $(filter 1,$(FAKE_UNIT)),COURSE_DATA_DIR=$(FAKE_DATA) $(BIN)/python -m pytest -q tests/test_fakegpu.py,@echo "tests/test_fakegpu.py: run by make test")
	COURSE_DATA_DIR=$(FAKE_DATA) COURSE_FAST=1 COURSE_DEVICE=$(FAKE_DEVICE) COURSE_SEED=$(FAKE_SEED) \
	ATEN_CPU_CAPABILITY=$(FAKE_ISA) $(BIN)/python -m pytest $(NOTEBOOKS)

# The floor lane: the unit tests and every notebook on the oldest torch the course supports (its own venv).
test-floor:
	bash scripts/floor_lane.sh

test-torchtext:
	bash scripts/test_torchtext.sh

clean:
	rm -rf learner assignments .pytest_cache .ruff_cache data/cache data/runs data/models data/results.jsonl data/notebook_times*.json data/test-run data/fakegpu-run data/fakemps-run data/site-run-fast data/site-run-full data/floor-run data/torchtext-run build/site
