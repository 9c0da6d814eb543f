#!/usr/bin/env bash
# Re-lock the dependency groups of pyproject.toml into requirements/<group>.lock (exact versions
# and hashes, what `make` installs).  Run after changing a pin:  bash scripts/lock.sh
# torch is the CPU build (torch==2.13.0+cpu): pip takes it from a local wheel folder (find-links)
# or, where there is none, from PyTorch's CPU index (scripts/setup_env.sh adds it); groups add up.
# Optional constraints (pip-compile -c), e.g. to lock the versions an environment was tested with:
#   LOCK_CONSTRAINTS=constraints.txt bash scripts/lock.sh
set -euo pipefail
cd "$(dirname "$0")/.."
compile() {  # out, extras...
  local out=$1; shift
  local extras=()
  for e in "$@"; do extras+=(--extra "$e"); done
  [ -n "${LOCK_CONSTRAINTS:-}" ] && extras+=(-c "$LOCK_CONSTRAINTS")
  .venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links \
    --no-emit-index-url --output-file "$out" "${extras[@]}" pyproject.toml
}
compile requirements/student.lock student
compile requirements/grader.lock student grader
compile requirements/dev.lock student grader dev
echo "locked: requirements/{student,grader,dev}.lock"
