# Deep Learning from the Ground Up -- course commands.
# Every target sets itself up: a virtualenv in .venv with pinned packages,
# and the MNIST files in datasets/mnist.
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
PY    := .venv/bin/python
VENV  := .venv/.installed
DATA  := datasets/mnist/.verified
ps    ?=

.PHONY: demo test lab notebooks release grade bench setup clean

setup: $(VENV) $(DATA)

$(VENV): requirements.txt pyproject.toml
	bash tools/setup_env.sh

$(DATA): $(VENV) datasets/mnist/SHA256SUMS
	$(PY) -m utils.mnist --fetch

## Main job: build the student version, grade example hand-ins, feedback, grades.
demo: setup
	$(PY) -m tools.course demo

## The test suite (CI runs exactly this).
test: setup
	$(PY) -m pytest

## JupyterLab on the student notebooks in release/.
lab: setup
	.venv/bin/jupyter lab --notebook-dir=release

## Rebuild source/ notebooks from tools/notebooks/*.md, then release/ from source/.
notebooks: setup
	$(PY) -m tools.build_notebooks
	$(PY) -m tools.course release

release: setup
	$(PY) -m tools.course release

## Autograde every hand-in under submitted/ (ps=ps1 for one assignment).
grade: setup
	$(PY) -m tools.course grade $(ps)

clean:
	rm -rf autograded feedback submitted reports gradebook.db grades.csv
