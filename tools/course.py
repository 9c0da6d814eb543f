"""The instructor's commands, run through nbgrader.

    python -m tools.course release [ps ...]   generate release/ from source/
    python -m tools.course grade   [ps ...]   grade submitted/ (tools.grade_class), feedback, grades.csv
    python -m tools.course demo    [ps ...]   release + example hand-ins + grade + table

`--course DIR` runs on another copy of the course (the tests use a temporary one).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def assignments(course: Path) -> list[str]:
    return sorted(p.name for p in (course / "source").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def copy_course(dest: Path, names: list[str] | None = None) -> Path:
    """A fresh course folder at dest: the configuration and source/ of the given assignments."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    for ps in names or assignments(ROOT):
        shutil.copytree(ROOT / "source" / ps, dest / "source" / ps)
    return dest


def venv_env() -> dict:
    """The environment with this Python's bin/ first on PATH (nbgrader runs `alembic` from PATH)."""
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course folder with the course's config."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True, env=venv_env())
    if check and proc.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed ({proc.returncode}):\n"
                           + proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc


def release(course: Path, names: list[str]) -> None:
    for ps in names:
        t = time.perf_counter()
        nbgrader(course, "generate_assignment", ps, "--force")
        print(f"release/{ps}: generated in {time.perf_counter() - t:.1f}s")


REASONS = [  # (text in nbgrader's traceback, what the instructor is told)
    ("NotJSONError", "the notebook file is not valid JSON (corrupt or truncated)"),
    ("NBFormatError", "the file is not a valid notebook"),
    ("No notebooks found", "no notebook with the assignment's file name (renamed or missing)"),
    ("DeadKernelError", "the kernel died while running the notebook (os._exit, a crash, or out of memory)"),
    ("CellTimeoutError", "a cell ran past the time limit"),
    ("SandboxUnavailable", "no sandbox could start (install bubblewrap; COURSE_ALLOW_UNSANDBOXED=1 "
                           "grades trusted code without one)"),
]


def failures_from_log(log: str) -> dict[str, str]:
    """{student: reason} for every hand-in nbgrader could not grade, read from its log."""
    failed: dict[str, str] = {}
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if "There was an error processing assignment:" not in line:
            continue
        folder = Path(line.split("assignment:", 1)[1].strip())
        student = folder.parent.name
        block = []
        for nxt in lines[i + 1:]:
            if nxt.startswith("[") and "Traceback" not in nxt:
                break
            block.append(nxt.strip())
        text = "\n".join(block)
        last = next((b for b in reversed(block) if b), "unknown error")
        reason = next((r for key, r in REASONS if key in text), last)
        failed[student] = f"{reason} [{last[:160]}]" if reason != last else reason
    return failed


def notes_from_log(log: str) -> dict[str, list[str]]:
    """{student: [problem, ...]} for hand-ins nbgrader graded but with a notebook missing
    (scored 0) or under a name the assignment does not have (ignored), read from its log."""
    notes: dict[str, list[str]] = {}
    for line in log.splitlines():
        for key, what in (("No submitted file:", "{} is missing (scored 0)"),
                          ("Skipping unknown notebook:", "{} is not part of the assignment (renamed?), ignored")):
            if key in line:
                path = Path(line.split(key, 1)[1].strip())
                notes.setdefault(path.parent.parent.name, []).append(what.format(path.name))
    return notes


def grade(course: Path, names: list[str], workers: int | None = None, force: bool = False,
          progress: bool = True) -> list[dict]:
    """Grade every hand-in of each assignment with the course's grader (tools.grade_class:
    parallel autograde, feedback, gradebook, grades.csv; unchanged hand-ins already graded
    are skipped unless `force`).  One row per hand-in; a hand-in that cannot be graded has
    its reason in "problem" (and no scores), the others are graded regardless.
    """
    from tools.grade_class import grade_class

    rows = []
    for ps in names:
        rows += grade_class(course, ps, workers=workers, force=force, progress=progress)["rows"]
    return rows


def scores(course: Path, db_url: str | None = None, course_id: str | None = None) -> list[dict]:
    """Per (student, assignment) automatic and manual scores from the gradebook.

    auto / auto_max: the automatically graded points; extra: extra credit on top
    of the maximum (passed bonus tests, tools/extra_credit.py, and what graders
    entered in formgrader).

    db_url: any SQLAlchemy URL (default: the course's sqlite gradebook.db).
    """
    from nbgrader.api import Gradebook

    rows = []
    args = (course_id,) if course_id else ()
    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}", *args) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                auto = manual_max = auto_max = extra = 0.0
                for nb in sub.notebooks:
                    for g in nb.grades:
                        bonus = g.extra_credit or 0.0
                        extra += bonus
                        if g.cell.cell_type == "code":
                            auto += (g.score or 0.0) - bonus
                            auto_max += g.max_score
                        else:
                            manual_max += g.max_score
                rows.append({"student": sub.student.id, "assignment": assignment.name,
                             "auto": auto, "auto_max": auto_max, "manual_max": manual_max,
                             "extra": extra})
    return rows


def print_table(rows: list[dict]) -> None:
    if not rows:
        print("no grades yet")
        return
    print(f"\n{'assignment':<12}{'student':<12}{'automatic score':>18}{'written (formgrader)':>24}")
    for r in sorted(rows, key=lambda r: (r["assignment"], r["student"])):
        note = ("   NOT GRADED: " + r["problem"] if r.get("problem")
                else "   NOTE: " + r["note"] if r.get("note") else "")
        if r["auto"] is None:  # not graded: no scores
            print(f"{r['assignment']:<12}{r['student']:<12}{'-':>9}   {'':<6}{'-':>22}{note}")
            continue
        extra = f"   +{r['extra']:g} extra credit" if r.get("extra") else ""
        print(f"{r['assignment']:<12}{r['student']:<12}"
              f"{r['auto']:>9.1f} / {r['auto_max']:<6.1f}{'pending / ' + format(r['manual_max'], '.0f'):>22}"
              f"{extra}{note}")


def demo(course: Path, names: list[str]) -> list[dict]:
    from tools.handins import write_submissions

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
    ap.add_argument("command", choices=["release", "grade", "demo", "scores"])
    ap.add_argument("assignments", nargs="*", help="e.g. ps1 (default: all)")
    ap.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this checkout)")
    args = ap.parse_args(argv)
    course = args.course.resolve()
    names = args.assignments or assignments(course)
    unknown = set(names) - set(assignments(course))
    if unknown:
        print(f"unknown assignment(s): {', '.join(sorted(unknown))}; have {', '.join(assignments(course))}")
        return 2
    from tools.grade_class import GradingError
    try:
        if args.command == "release":
            release(course, names)
        elif args.command == "grade":
            print_table(grade(course, names))
        elif args.command == "scores":
            print_table(scores(course))
        else:
            demo(course, names)
    except GradingError as e:  # bad input or no sandbox: one line, nothing graded
        print(f"{args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
