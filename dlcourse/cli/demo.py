"""The demo: build the student version, grade example hand-ins, print the score table.

    dlcourse demo [ps ...] [--course DIR]
    dlcourse scores [--course DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlcourse.authoring.examples import write_submissions
from dlcourse.authoring.release import release
from dlcourse.course import ROOT, assignments
from dlcourse.grading.run import GradingError, grade_class
from dlcourse.grading.scores import scores
from dlcourse.grading.table import print_table


def grade(course: Path, names: list[str], workers: int | None = None, force: bool = False,
          progress: bool = True) -> list[dict]:
    """Grade every hand-in of each assignment (dlcourse.grading.run: parallel autograde,
    feedback, gradebook, grades.csv; unchanged hand-ins already graded are skipped unless
    `force`).  One row per hand-in; a hand-in that cannot be graded has its reason in
    "problem" (and no scores), the others are graded regardless."""
    rows = []
    for ps in names:
        rows += grade_class(course, ps, workers=workers, force=force, progress=progress)["rows"]
    return rows


def demo(course: Path, names: list[str]) -> list[dict]:
    release(course, names)
    write_submissions(course, names)
    print(f"example hand-ins written to {course / 'submitted'} (reference, blank, mistakes)")
    rows = grade(course, names)
    print_table(rows)
    print(f"\nfeedback: {course / 'feedback'}/<student>/<ps>/*.html")
    print(f"grades:   {course / 'grades.csv'}")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["demo", "scores"])
    ap.add_argument("assignments", nargs="*", help="e.g. ps1 (default: all)")
    ap.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this checkout)")
    args = ap.parse_args(argv)
    course = args.course.resolve()
    names = args.assignments or assignments(course)
    unknown = set(names) - set(assignments(course))
    if unknown:
        print(f"unknown assignment(s): {', '.join(sorted(unknown))}; have {', '.join(assignments(course))}")
        return 2
    try:
        if args.command == "scores":
            print_table(scores(course))
        else:
            demo(course, names)
    except GradingError as e:  # bad input or no sandbox: one line, nothing graded
        print(f"{args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
