"""`dlcourse grade`: grade a whole class in parallel, one assignment after another.

    dlcourse grade ps1 [--workers N] [--force]
                       [--scheduler tcp://host:8786] [--db-url URL] [--course DIR]

(no assignment: all of them); then the score table and the class report (grading/report/).
Exit status: 0 every hand-in graded (or skipped, unchanged); 1 some hand-in could not be
graded (listed with the reason; retried by the next run); 2 bad input, nothing graded;
130 interrupted (what was graded is kept).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlcourse import course as C
from dlcourse.grading.run.checks import GradingError
from dlcourse.grading.run.grading_run import GradingRun, Options
from dlcourse.grading.table import print_table


def parse(argv) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="dlcourse grade", description=__doc__.split("\n")[0])
    ap.add_argument("assignments", nargs="*", help="e.g. ps1 (default: all)")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    ap.add_argument("--force", action="store_true", help="regrade unchanged hand-ins too")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    ap.add_argument("--db-url", default=None,
                    help="gradebook SQLAlchemy URL (default: c.CourseDirectory.db_url of the course's nbgrader_config.py)")
    ap.add_argument("--course", type=Path, default=C.ROOT, help="course folder (default: this checkout)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("--no-report", action="store_true", help="skip the class report (reports/<ps>/index.html)")
    return ap.parse_args(argv)


def assignments(course: Path, asked: list[str]) -> list[str]:
    if not (course / "nbgrader_config.py").is_file() or not (course / "source").is_dir():
        raise GradingError(f"{course} is not a course folder (no nbgrader_config.py or source/)")
    have = C.assignments(course)
    unknown = sorted(set(asked) - set(have))
    if unknown:
        raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; this course has {', '.join(have)}")
    return asked or have


def main(argv=None) -> int:
    args = parse(argv)
    course = args.course.resolve()
    options = Options(args.workers, args.force, args.scheduler, args.db_url, not args.no_progress)
    graded_any = failed_any = False
    try:
        for ps in assignments(course, args.assignments):
            outcome = GradingRun(course, ps, options).run()
            failed_any = failed_any or bool(outcome.failed)
            if not outcome.rows:
                continue
            graded_any = True
            print_table(outcome.rows)
            if not args.no_report:
                from dlcourse.grading.report import write
                print(f"\nclass report: {write(course, ps, args.db_url)}")
    except GradingError as e:
        print(f"grade_class: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if graded_any:
        print(f"feedback: {course / 'feedback'}/<student>/<ps>/*.html")
        print(f"grades:   {course / 'grades.csv'}")
    if failed_any:
        print("some hand-ins could not be graded (NOT GRADED above): exit status 1", file=sys.stderr)
        return 1
    return 0
