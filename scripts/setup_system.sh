#!/usr/bin/env bash
# System packages, by purpose: install only what a command needs.
#   --grading   bubblewrap     runs each student's kernel in a sandbox while grading
#                              (dlcourse/grading/sandbox/): `make grade`, `make demo`, `make bench`
#   --pdf       chromium       headless browser that prints the notebook's HTML to PDF
#                              (an installed Google Chrome or Chromium does as well)
#               poppler-utils  pdftotext / pdftoppm, used by the tests to check the PDF
#                              `make pdfs`; `--student` is the same (students need neither: the
#                              kit finds Chrome, Edge or Chromium where each system installs it)
#   --tests     all of the above and postgresql (a server for the tests of the shared
#               PostgreSQL gradebook): `make test`, `make setup-system`; the default
# Idempotent: does nothing when everything is already there.  As root it
# installs what is missing with apt-get; otherwise it says what to run.
set -euo pipefail
case "${1:---tests}" in
  --grading) grading=1 pdf=0 postgres=0 need="Grading" ;;
  --pdf | --student) grading=0 pdf=1 postgres=0 need="The PDF hand-in" ;;
  --tests) grading=1 pdf=1 postgres=1 need="The test suite" ;;
  *) echo "usage: bash scripts/setup_system.sh [--grading | --pdf | --student | --tests]" >&2; exit 2 ;;
esac

have_browser() {
  [ -x /usr/lib/chromium/chromium ] && return 0
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  return 1
}

checked=()
missing=()
if [ "$pdf" -eq 1 ]; then
  checked+=(browser poppler-utils)   # MathJax 3 comes from pip (django-static-mathjax)
  have_browser || missing+=(chromium)
  command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
fi
if [ "$grading" -eq 1 ]; then
  checked+=(bubblewrap)
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
fi
if [ "$postgres" -eq 1 ]; then
  checked+=(postgresql)
  [ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || missing+=(postgresql)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: already installed: ${checked[*]}"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing ${missing[*]}, and this is not a Debian/Ubuntu system." >&2
  echo "  Install them with your package manager (${need} needs them): bubblewrap for the grading" >&2
  echo "  sandbox; Chromium (or Google Chrome) and poppler for the PDF hand-in" >&2
  echo "  (dlcourse/handin/handin.py finds them, or set HANDIN_BROWSER / HANDIN_MATHJAX to their paths)." >&2
  exit 1
fi

# On Ubuntu the apt package `chromium` (chromium-browser) is only a stub that
# installs a snap, which does not work in containers or CI: use Google Chrome.
if [[ " ${missing[*]} " == *" chromium "* ]] && grep -qi '^ID=ubuntu' /etc/os-release 2>/dev/null; then
  echo "setup-system: on Ubuntu install Google Chrome for the PDF export" >&2
  echo "  (https://www.google.com/chrome/ -> .deb, then: sudo apt-get install ./google-chrome-stable_current_amd64.deb)." >&2
  missing=("${missing[@]/chromium}")
  read -r -a missing <<< "${missing[*]}"
  [ ${#missing[@]} -eq 0 ] && exit 1
  no_browser=1
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo)
else
  echo "setup-system: missing system packages: ${missing[*]}" >&2
  echo "  ${need} needs them. Ask an administrator, or run:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "setup-system: installing ${missing[*]} (first time: about a minute)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-system: done"
[ -z "${no_browser:-}" ]
