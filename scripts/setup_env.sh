#!/usr/bin/env bash
# Creates .venv with the pinned packages of requirements.txt and installs the
# course's utils package (editable) so every notebook can `import utils`
# wherever it runs: release/, a student's copy, submitted/ or autograded/.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "setup: Python >= 3.10 is needed (found $("$python" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip==23.2.1 >/dev/null 2>&1 || true
echo "setup: installing pinned packages into .venv (first time: about 2 minutes)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt 2> >(grep -v "is ignored: it is neither" >&2)
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
touch .venv/.installed
echo "setup: .venv ready"
