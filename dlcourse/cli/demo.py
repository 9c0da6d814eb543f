"""The demo: the whole loop on example hand-ins -- student version, hand-in zips as students upload
them, roster, collect, grade, score table, grades and feedback exported for the platform.

    dlcourse demo [ps ...] [--course DIR]
    dlcourse scores [--course DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlcourse.authoring.examples import STUDENTS, write_handin_zips
from dlcourse.authoring.release import release
from dlcourse.course import ROOT, assignments
from dlcourse.grading.run import GradingError, grade_class
from dlcourse.grading.scores import scores
from dlcourse.grading.table import print_table
from dlcourse.term.collect import collect
from dlcourse.term.export import export
from dlcourse.term.policy import sync_due_dates
from dlcourse.term.roster import import_roster


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
    uploads = course / "uploads"
    write_handin_zips(course, names, uploads)
    print(f"example hand-in zips written to {uploads}/<ps>/ (students: {', '.join(STUDENTS)})")
    roster = uploads / "students.csv"
    roster.write_text("id,first_name,last_name,email,platform_id\n" + "".join(
        f"{s},{s.title()},Example,{s}@example.edu,{1001 + n}\n" for n, s in enumerate(STUDENTS)))
    import_roster(course, roster)
    for ps in names:
        print("\n".join(collect(course, ps, uploads / ps).lines(ps)))
    sync_due_dates(course, names)
    rows = grade(course, names)
    print_table(rows)
    print(f"\nfeedback: {course / 'feedback'}/<student>/<ps>/*.html")
    print(f"grades:   {course / 'grades.csv'}")
    for ps in names:
        out, _ = export(course, ps)
        print(f"for the platform: {out}/ (canvas_grades.csv, moodle_grades.csv, feedback_{ps}.zip)")
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
