"""source/ -> release/: the student version of each assignment, made by nbgrader.

    dlcourse release [ps ...] [--course DIR]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dlcourse.course import ROOT, assignments, nbgrader


def release(course: Path, names: list[str]) -> None:
    for ps in names:
        t = time.perf_counter()
        nbgrader(course, "generate_assignment", ps, "--force")
        print(f"release/{ps}: generated in {time.perf_counter() - t:.1f}s")




def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Generate release/ from source/ with nbgrader.")
    ap.add_argument("assignments", nargs="*", help="e.g. ps1 (default: all)")
    ap.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this checkout)")
    args = ap.parse_args(argv)
    course = args.course.resolve()
    have = assignments(course)
    unknown = sorted(set(args.assignments) - set(have))
    if unknown:
        print(f"release: unknown assignment(s) {', '.join(unknown)}; have {', '.join(have)}", file=sys.stderr)
        return 2
    release(course, args.assignments or have)
    return 0


if __name__ == "__main__":
    sys.exit(main())
