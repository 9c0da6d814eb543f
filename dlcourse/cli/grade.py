"""`dlcourse grade`: the term's due dates into the gradebook, a word on strangers, then the class grader.

The due dates live in nbgrader_config.py (c.Term.due_dates, dlcourse/term/policy.py); nbgrader
computes lateness from the gradebook's copy, so they are written there before grading.  When a
roster was imported (`dlcourse roster`), hand-ins in submitted/ from ids that are not on it are
named in one warning line (they are graded; nbgrader adds them as students).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlcourse.course import ROOT, assignments
from dlcourse import config
from dlcourse.grading import run
from dlcourse.grading.run.gradebook import normalise_db_url
from dlcourse.term.policy import sync_due_dates
from dlcourse.term.roster import roster


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("names", nargs="*")
    ap.add_argument("--course", type=Path, default=ROOT)
    ap.add_argument("--db-url", default=None)
    known, _ = ap.parse_known_args(argv)
    course = known.course.resolve()
    if (course / "nbgrader_config.py").is_file() and (course / "source").is_dir() and "-h" not in argv \
            and "--help" not in argv:
        names = [n for n in known.names if not n.startswith("-")] or assignments(course)
        names = [n for n in names if n in assignments(course)]
        db_url = normalise_db_url(known.db_url) if known.db_url else None  # the one `grade` writes
        try:
            sync_due_dates(course, names, db_url)
        except Exception as e:  # a malformed due date: say so, grade anyway
            print(f"grade: due dates not applied ({type(e).__name__}: {e})", file=sys.stderr)
        warn_strangers(course, names, db_url)
    return run.main(argv)


def warn_strangers(course: Path, names: list[str], db_url: str | None = None) -> list[str]:
    """Ids with hand-ins in submitted/ that are not on the imported roster (none without a roster)."""
    url = db_url or config.load(course).db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return []  # no gradebook yet: no roster (and none created by looking)
    try:
        students = roster(course, url)
    except Exception:  # no readable gradebook yet: nothing to compare with
        return []
    if not students:
        return []
    strangers = sorted({p.parent.name for ps in names for p in (course / "submitted").glob(f"*/{ps}")
                        if p.is_dir() and p.parent.name not in students})
    if strangers:
        print(f"grade: {len(strangers)} hand-in(s) from ids not on the roster, graded anyway (add them with "
              f"`make roster`, or remove their folders): {', '.join(strangers)}", file=sys.stderr)
    return strangers
