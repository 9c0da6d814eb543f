#!/usr/bin/env bash
# System packages the PDF hand-in needs (tools/handin.py):
#   chromium       headless browser that prints the notebook's HTML to PDF
#                  (an installed Google Chrome or Chromium does as well)
#   libjs-mathjax  MathJax served from disk, so maths renders with no internet
#   poppler-utils  pdftotext / pdftoppm, used by the tests to check the PDF
# and the one grading needs (tools/sandbox.py):
#   bubblewrap     runs each student's kernel in a sandbox while grading
#   postgresql     a server for the tests of the shared (PostgreSQL) gradebook
# `--student` (the student kit's `make setup-system`): only what the hand-in
# needs -- no sandbox, no database server on a student's laptop.
# Idempotent: does nothing when everything is already there.  As root it
# installs what is missing with apt-get; otherwise it says what to run.
set -euo pipefail
student=0
[ "${1:-}" = "--student" ] && student=1

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have_browser() {
  [ -x /usr/lib/chromium/chromium ] && return 0
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  return 1
}

missing=()
have_browser || missing+=(chromium)
[ -f /usr/share/javascript/mathjax/MathJax.js ] || missing+=(libjs-mathjax)
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ "$student" -eq 0 ]; then
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
  [ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || missing+=(postgresql)
fi

if [ ${#missing[@]} -eq 0 ]; then
  if [ "$student" -eq 1 ]; then
    echo "setup-system: browser, MathJax and poppler-utils are installed"
  else
    echo "setup-system: browser, MathJax, poppler-utils, bubblewrap and postgresql are installed"
  fi
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing ${missing[*]}, and this is not a Debian/Ubuntu system." >&2
  echo "  Install Chromium (or Google Chrome), MathJax 2 and poppler with your package manager;" >&2
  echo "  tools/handin.py finds them (or set HANDIN_BROWSER / HANDIN_MATHJAX to their paths)." >&2
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
  echo "  The PDF hand-in needs them. Ask an administrator, or run:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "setup-system: installing ${missing[*]} (first time: about a minute)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-system: done"
[ -z "${no_browser:-}" ]
