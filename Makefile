# The course's commands. `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_ARGS ?=
# Jupyter refuses to run as root unless told to (containers, CI); allow it there only.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
FAST ?= 1

.PHONY: install lab test unit run-all report readme doctor learner-copy test-torchtext bench clean

# Install once; re-run only when pyproject.toml changes (the stamp file is older than it).
install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

test: install
	$(BIN)/ruff check course_lib tests benchmarks scripts conftest.py
	COURSE_FAST=$(FAST) $(BIN)/python -m pytest
	$(BIN)/python -m course_lib report

unit: install
	$(BIN)/python -m pytest course_lib tests

run-all: install
	COURSE_FAST=$(FAST) $(BIN)/python -m pytest notebooks
	$(BIN)/python -m course_lib report
	$(BIN)/python scripts/update_readme.py

report: install
	$(BIN)/python -m course_lib report

readme: install
	$(BIN)/python scripts/update_readme.py

doctor: install
	$(BIN)/python -m course_lib doctor

learner-copy: install
	$(BIN)/python -m course_lib make-learner-copy notebooks learner

bench: install
	$(BIN)/python benchmarks/bench_fit_overhead.py --threads 1

test-torchtext:
	bash scripts/test_torchtext.sh

clean:
	rm -rf learner .pytest_cache .ruff_cache data/cache data/runs data/models data/results.jsonl data/notebook_times.json
