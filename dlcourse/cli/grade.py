"""`dlcourse grade`: the term's due dates into the gradebook, then the class grader.

The due dates live in nbgrader_config.py (c.Term.due_dates, dlcourse/term/policy.py); nbgrader
computes lateness from the gradebook's copy, so they are written there before grading.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlcourse.course import ROOT, assignments
from dlcourse.grading import run
from dlcourse.term.policy import sync_due_dates


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("names", nargs="*")
    ap.add_argument("--course", type=Path, default=ROOT)
    known, _ = ap.parse_known_args(argv)
    course = known.course.resolve()
    if (course / "nbgrader_config.py").is_file() and (course / "source").is_dir() and "-h" not in argv \
            and "--help" not in argv:
        names = [n for n in known.names if not n.startswith("-")] or assignments(course)
        try:
            sync_due_dates(course, [n for n in names if n in assignments(course)])
        except Exception as e:  # a malformed due date: say so, grade anyway
            print(f"grade: due dates not applied ({type(e).__name__}: {e})", file=sys.stderr)
    return run.main(argv)
