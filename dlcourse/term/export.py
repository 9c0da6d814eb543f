"""Grades and feedback of one assignment, ready for a learning platform's bulk import.

    dlcourse export ps1 [--course DIR]              (make export ps=ps1)

writes export/<ps>/:
  canvas_grades.csv    Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section,
                       then the assignment's column; a "Points Possible" row)
  moodle_grades.csv    Moodle's grade import (Email address, ID number, Full name, the grade)
  feedback/            one file per student: the feedback page (a zip of the pages for a
                       two-notebook assignment), named so the platform's bulk feedback upload
                       matches it to the student: Canvas's and Moodle's own prefix of the student's
                       upload (.term/collect_<ps>.json), else <id>_<ps>_feedback.html
  feedback_<ps>.zip    the feedback folder as one zip, for the bulk upload

The grade is the final score: automatic + manual + extra credit (nbgrader's score of the
submission), less the late penalty of the configured policy (policy.py) applied to that final
score.  Students on the roster who did not hand in are listed with no grade -- never 0.
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dlcourse import config
from dlcourse.course import ROOT
from dlcourse.term.policy import late_policy
from dlcourse.term.roster import Student, roster


@dataclass
class Grade:
    student: Student
    score: float | None        # None: no hand-in
    max_score: float
    penalty: float = 0.0
    needs_manual: bool = False

    @property
    def final(self) -> float | None:
        return None if self.score is None else max(self.score - self.penalty, 0.0)


def grades(course: Path, ps: str) -> list[Grade]:
    """The final grade of every student on the roster (and anyone who handed in)."""
    from nbgrader.api import Gradebook, MissingEntry

    cfg = config.load(course)
    policy = late_policy(course)
    students = roster(course, cfg.db_url)
    out = []
    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        try:
            assignment = gb.find_assignment(ps)
        except MissingEntry:
            raise ValueError(f"{ps} has not been graded yet (make grade ps={ps})") from None
        handed_in = {s.student.id: s for s in assignment.submissions}
        for sid in sorted(set(students) | set(handed_in)):
            student = students.get(sid) or Student(sid)
            sub = handed_in.get(sid)
            if sub is None:
                out.append(Grade(student, None, assignment.max_score))
                continue
            score = float(sub.score)
            late = float(sub.total_seconds_late or 0)
            penalty = float(policy.late_submission_penalty(sid, score, late) or 0.0) if late > 0 else 0.0
            out.append(Grade(student, score, assignment.max_score, penalty, bool(sub.needs_manual_grade)))
    return out


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def write_canvas(rows: list[Grade], ps: str, dest: Path) -> None:
    column = f"{ps}"
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
        w.writerow(["    Points Possible", "", "", "", "", _fmt(rows[0].max_score if rows else 0)])
        for g in rows:
            s = g.student
            w.writerow([f"{s.last_name}, {s.first_name}".strip(", ") or s.id, s.platform_id, s.id, s.email, "",
                        _fmt(g.final)])


def write_moodle(rows: list[Grade], ps: str, dest: Path) -> None:
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Email address", "ID number", "Full name", ps])
        for g in rows:
            w.writerow([g.student.email, g.student.id, g.student.full_name, _fmt(g.final)])


def write_feedback(course: Path, ps: str, out: Path) -> list[Path]:
    """One feedback file per student who has feedback, named for the platform's bulk upload."""
    uploads = {}
    record = course / ".term" / f"collect_{ps}.json"
    if record.exists():
        uploads = json.loads(record.read_text())
    out.mkdir(parents=True)
    written = []
    for folder in sorted((course / "feedback").glob(f"*/{ps}")):
        student = folder.parent.name
        pages = sorted(folder.glob("*.html"))
        if not pages:
            continue
        prefix = next((u["platform_prefix"] for u in uploads.get(student, []) if u.get("platform_prefix")), None)
        stem = f"{prefix}{ps}_feedback" if prefix else f"{student}_{ps}_feedback"
        if len(pages) == 1:
            dest = out / f"{stem}.html"
            shutil.copy(pages[0], dest)
        else:
            dest = out / f"{stem}.zip"
            with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
                for page in pages:
                    zf.write(page, page.name)
        written.append(dest)
    return written


def export(course: Path, ps: str) -> tuple[Path, list[Grade]]:
    rows = grades(course, ps)
    out = course / "export" / ps
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    write_canvas(rows, ps, out / "canvas_grades.csv")
    write_moodle(rows, ps, out / "moodle_grades.csv")
    files = write_feedback(course, ps, out / "feedback")
    with zipfile.ZipFile(out / f"feedback_{ps}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    return out, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Export grades and feedback for a learning platform.")
    ap.add_argument("assignment", help="e.g. ps1")
    ap.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this checkout)")
    args = ap.parse_args(argv)
    try:
        out, rows = export(args.course.resolve(), args.assignment)
    except ValueError as e:
        print(f"export: {e}", file=sys.stderr)
        return 2
    missing = [g.student.id for g in rows if g.score is None]
    late = [g for g in rows if g.penalty]
    pending = [g.student.id for g in rows if g.needs_manual]
    print(f"export {args.assignment}: {len(rows) - len(missing)} grade(s), {len(missing)} without a hand-in "
          f"(left blank){', late penalty for ' + str(len(late)) if late else ''} -> {out}/")
    if pending:
        print(f"  note: written answers not graded yet for {len(pending)} student(s) ({', '.join(pending[:5])}"
              f"{', ...' if len(pending) > 5 else ''}): their grades count 0 for those questions")
    return 0
