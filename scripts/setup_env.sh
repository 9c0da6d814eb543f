#!/usr/bin/env bash
# Creates .venv with the locked packages of one dependency group (requirements/<group>.lock:
# exact versions and hashes, made by scripts/lock.sh from pyproject.toml; default dev, the
# instructor's and the tests' group: SETUP_GROUP=grader for a grading machine) and installs the
# course (utils, dlcourse) editable, so every notebook can `import utils` wherever it runs:
# release/, a student's copy, submitted/ or autograded/.
# torch is the CPU build (2.13.0+cpu): from a local wheel folder pip is configured with
# (find-links), else from PyTorch's CPU index.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "setup: Python >= 3.10 is needed (found $("$python" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip==23.2.1 >/dev/null 2>&1 || true
lock=requirements/${SETUP_GROUP:-dev}.lock
torch_index=()
tmp=$(mktemp -d)
if ! .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --no-index --dest "$tmp" \
    "$(grep -o '^torch==[^ ]*' "$lock")" >/dev/null 2>&1; then
  torch_index=(--extra-index-url https://download.pytorch.org/whl/cpu)  # no local CPU wheel of torch
fi
rm -rf "$tmp"
echo "setup: installing $lock into .venv (first time: about 2 minutes)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes "${torch_index[@]}" -r "$lock" \
  2> >(grep -v "is ignored: it is neither" >&2)
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
touch .venv/.installed
echo "setup: .venv ready"
