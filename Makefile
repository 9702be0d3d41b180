# The two entry points of a fresh clone (see README):
#   make demo   install everything into .venv and build the workflow's default target
#   make test   install what the tests need and run the test suite
#   make test-slurm   run the CI config through the SLURM profile on a one-node Slurm cluster
#                     started on this machine (root; installs slurm-wlm with apt-get if missing)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: demo test install test-slurm

demo: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores all

test: $(VENV)/.installed-test
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

test-slurm: $(VENV)/.installed-test
	VENV=$(VENV) bash scripts/test_slurm.sh

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml envs/requirements.txt envs/ptlflow.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r envs/requirements.txt -e .
	$(PIP) --no-deps -r envs/ptlflow.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed envs/requirements-test.txt
	$(PIP) -r envs/requirements-test.txt
	touch $@
