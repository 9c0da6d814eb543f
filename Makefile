# Deep Learning from the Ground Up -- course commands.
# Every target sets itself up: a virtualenv in .venv with the locked packages (requirements/dev.lock),
# and the MNIST files in datasets/mnist.
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
PY    := .venv/bin/python
VENV  := .venv/.installed
DATA  := datasets/mnist/.verified
ps    ?=

.PHONY: demo test lab notebooks release grade bench setup setup-system setup-grading setup-pdf handin clean roster collect export

setup: $(VENV) $(DATA)

$(VENV): requirements/dev.lock pyproject.toml
	bash scripts/setup_env.sh

$(DATA): $(VENV) datasets/mnist/SHA256SUMS
	$(PY) -c 'import sys, utils.mnist as m; sys.exit(m.main(["--fetch"]))'

## Main job: build the student version, grade example hand-ins, feedback, grades.
demo: setup setup-grading
	$(PY) -m dlcourse demo

## The test suite (CI runs exactly this). Also installs every system package the tests use (root or sudo).
test: setup setup-system
	$(PY) -m pytest

## System packages (root or sudo; each installs only what is missing): setup-system everything the
## tests use (= setup-grading + setup-pdf + postgresql), setup-grading bubblewrap (the grading
## sandbox), setup-pdf Chromium and poppler (PDF hand-in; MathJax 3 comes from pip).
setup-system:
	bash scripts/setup_system.sh --tests

setup-grading:
	bash scripts/setup_system.sh --grading

setup-pdf:
	bash scripts/setup_system.sh --pdf

## Hand in one notebook: self-check, PDF, zip (nb=release/ps1/gradient_descent.ipynb student=jdoe [out=DIR]).
handin: setup
	@if [ -z "$(nb)" ] || [ -z "$(student)" ]; then \
	  echo "usage: make handin nb=release/ps1/<notebook>.ipynb student=<your id> [out=<folder>]"; exit 2; fi
	$(PY) -m dlcourse handin "$(nb)" --student "$(student)" $(if $(out),--out "$(out)")

## JupyterLab on the student notebooks in release/, with the Hand in button and nbgrader's instructor
## tools (student=<id> names the hand-in zip; without it JupyterLab asks). The kit's `lab` is the student view.
lab: setup
	$(PY) -m dlcourse.handin.lab --instructor --notebook-dir=release $(if $(student),--student "$(student)")

.PHONY: student-kit pdfs
## What students get: build/student-kit/dl-ground-up/ and .zip (release/, utils/, datasets/, hand-in tool;
## no solutions, hidden tests or instructor tools). Students run `python -m pip install -e .` and
## `python -m dlcourse.handin.lab` inside (or `make lab`).
student-kit:
	$(PY) -m dlcourse kit

## PDFs of every reference notebook, made as a student's hand-in PDF is (reports/pdfs/; ps=ps1 for one).
pdfs: setup setup-pdf
	$(PY) -m dlcourse pdfs $(ps)

## Rebuild source/ notebooks from notebooks/*.md, then release/ from source/.
notebooks: setup
	$(PY) -m dlcourse notebooks
	$(PY) -m dlcourse release

release: setup
	$(PY) -m dlcourse release

## Grade hand-ins under submitted/ in parallel, with feedback, grades.csv and reports/<ps>/index.html
## (ps=ps1; workers=N force=1 scheduler=tcp://host:8786 db=postgresql://... course=DIR).
grade: setup setup-grading
	$(PY) -m dlcourse grade $(ps) $(if $(workers),--workers $(workers)) $(if $(force),--force) \
	  $(if $(scheduler),--scheduler $(scheduler)) $(if $(db),--db-url "$(db)") $(if $(course),--course "$(course)")

## The term, route 1 (hand-ins uploaded to a learning platform): import the class roster
## (file=students.csv: id,first_name,last_name,email,platform_id), collect the platform's download
## (ps=ps1 from=PATH: a folder or zip of hand-in zips; Canvas and Moodle layouts understood),
## then `make grade ps=ps1`, then export grades (Canvas/Moodle CSV) and feedback files (ps=ps1).
roster: setup
	@if [ -z "$(file)" ]; then echo "usage: make roster file=students.csv"; exit 2; fi
	$(PY) -m dlcourse roster "$(file)"

collect: setup
	@if [ -z "$(ps)" ] || [ -z "$(from)" ]; then echo "usage: make collect ps=ps1 from=<folder or zip>"; exit 2; fi
	$(PY) -m dlcourse collect $(ps) "$(from)"

export: setup
	@if [ -z "$(ps)" ]; then echo "usage: make export ps=ps1"; exit 2; fi
	$(PY) -m dlcourse export $(ps)

## Benchmarks (not timed tests): ps5 NumPy MLP vs PyTorch, full-run accuracies of the NumPy MLP,
## PyTorch MLP and CNN (reports/bench_mlp.json); parallel grading vs serial nbgrader autograde
## (reports/bench_grading.md; ps=ps1, n="10 24" by default); full-run and autograde time of every notebook
## (reports/bench_notebooks.md; slow: minutes per notebook).  All run; fails if one missed a target.
bench: setup setup-grading
	s=0; $(PY) -m benchmarks.bench_mlp || s=1; \
	$(PY) -m benchmarks.bench_grading $(if $(ps),--ps $(ps)) $(if $(n),--n $(n)) || s=1; \
	$(PY) -m benchmarks.bench_notebooks || s=1; \
	exit $$s

## Remove what a command rebuilds (build/, class reports, gathered PDFs, exports, caches). Grading
## data (submitted/, autograded/, feedback/, gradebook.db, grades.csv, .grading/, logs/) and the
## committed benchmark reports stay.
clean:
	rm -rf build manual export reports/pdfs .pytest_cache tests/artifacts
	find reports -mindepth 1 -maxdepth 1 -type d -name 'ps*' -exec rm -rf {} +
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +
