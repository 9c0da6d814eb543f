"""The class roster: who is in the course, with their id on the learning platform.

    dlcourse roster students.csv [--course DIR]        (make roster file=students.csv)

The CSV has a header with the columns id, first_name, last_name, email and platform_id (the
student's id on Canvas or Moodle; optional); other columns are ignored.  It is imported into
the gradebook with nbgrader's own student import (`nbgrader db student import`), the platform
id as nbgrader's lms_user_id.  Collecting and grading then refuse or flag hand-ins from ids that
are not on the roster instead of silently creating students.
"""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dlcourse import config
from dlcourse.course import ROOT, nbgrader

COLUMNS = ("id", "first_name", "last_name", "email", "platform_id")


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    platform_id: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.id


class RosterError(ValueError):
    pass


def read_csv(path: Path) -> list[Student]:
    """The students of a roster CSV (RosterError, one line, when it cannot be used)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise RosterError(f"{path}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise RosterError(f"{path}: not a readable CSV file ({e})") from None
    if not rows or "id" not in rows[0]:
        raise RosterError(f"{path}: needs a header row with at least the column 'id' "
                          f"(and {', '.join(COLUMNS[1:])})")
    students, seen = [], set()
    for n, row in enumerate(rows, start=2):
        sid = (row.get("id") or "").strip()
        if not sid:
            raise RosterError(f"{path}, line {n}: empty id")
        if sid in seen:
            raise RosterError(f"{path}, line {n}: id {sid!r} appears twice")
        seen.add(sid)
        students.append(Student(sid, *((row.get(c) or "").strip() for c in COLUMNS[1:])))
    return students


def import_roster(course: Path, path: Path) -> list[Student]:
    """Import a roster CSV into the course's gradebook with nbgrader's student import."""
    students = read_csv(path)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "students.csv"
        with open(out, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
            for s in students:
                w.writerow([s.id, s.first_name, s.last_name, s.email, s.platform_id])
        nbgrader(course, "db", "student", "import", str(out))
    return students


def roster(course: Path, db_url: str | None = None) -> dict[str, Student]:
    """{id: Student} from the gradebook (empty when no roster was imported)."""
    from nbgrader.api import Gradebook
    url = db_url or config.load(course).db_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return {}
    with Gradebook(url, config.load(course).course_id) as gb:
        return {s.id: Student(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
                for s in gb.students}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Import the class roster (CSV) into the gradebook.")
    ap.add_argument("file", type=Path, help=f"CSV with the columns {', '.join(COLUMNS)}")
    ap.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this checkout)")
    args = ap.parse_args(argv)
    try:
        students = import_roster(args.course.resolve(), args.file)
    except (RosterError, RuntimeError) as e:
        print(f"roster: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    with_ids = sum(1 for s in students if s.platform_id)
    print(f"roster: {len(students)} students in the gradebook ({with_ids} with a platform id)")
    return 0
