"""Hand-in zips -> submitted/<id>/<ps>/, for grading.

    dlcourse collect ps1 PATH [--course DIR]        (make collect ps=ps1 from=PATH)

PATH is a folder or a zip holding the hand-in zips students made (`dlcourse handin`), as they
are or as a learning platform's "download all submissions" wraps them (uploads.py: plain,
Canvas, Moodle).  Each hand-in lands in submitted/<id>/<ps>/<notebook>.ipynb with its PDF
beside it and the upload's time in nbgrader's timestamp.txt, so late penalties apply.  A
student who uploaded a notebook several times: the newest upload wins, and the report says so.

Refused uploads are listed, one line each, with the reason, and nothing of them is written;
the others are still collected: a corrupt or encrypted zip, no notebook inside, a notebook of
another assignment, an id in the file name that differs from the platform's folder or the
roster, a notebook that is not valid JSON, a zip bomb or paths escaping the target folder
(archives.py).  A student's folder is written whole or not at all.

The PDFs are gathered for manual grading (manual_pdfs.py).  What each upload was (platform
ids, names) is kept in .term/collect_<ps>.json for the grade and feedback export.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.course import ROOT, assignments
from dlcourse.names import parse_handin_zip_name, without_reupload_suffix
from dlcourse.term.archives import Refused, SafeZip
from dlcourse.term.roster import Student, roster
from dlcourse.term.uploads import Upload, find_uploads

STATE = ".term"
NO_PDF = "no PDF"
MIN_SHARED_CELLS = 0.5   # a notebook of this assignment shares at least half its graded cells with the release


@dataclass
class HandIn:
    student: str
    notebook: str
    upload: Upload
    files: dict[str, bytes]                      # {file name: bytes}: the notebook and its PDF
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    collected: dict[str, list[HandIn]] = field(default_factory=dict)   # student -> hand-ins
    refused: list[tuple[str, str]] = field(default_factory=list)       # (upload, why)
    notes: list[str] = field(default_factory=list)

    def lines(self, ps: str) -> list[str]:
        n = sum(len(v) for v in self.collected.values())
        out = [f"collect {ps}: {n} hand-in(s) of {len(self.collected)} student(s) collected, "
               f"{len(self.refused)} refused"]
        out += [f"  refused  {where}: {why}" for where, why in self.refused]
        out += [f"  note     {note}" for note in self.notes]
        return out


class Assignment:
    """What an upload is checked against: the assignment's notebooks and the roster."""

    def __init__(self, course: Path, ps: str, students: dict[str, Student]):
        self.course, self.ps, self.students = course, ps, students
        release = course / "release" / ps
        self.notebooks = sorted(p.stem for p in release.glob("*.ipynb"))
        self.cells = {nb: _grade_ids(nbformat.read(release / f"{nb}.ipynb", as_version=4)) for nb in self.notebooks}
        self.others = [a for a in assignments(course) if a != ps]
        self.by_platform = {s.platform_id: s for s in students.values() if s.platform_id}

    def identify(self, upload: Upload) -> tuple[str, str]:
        """(notebook, student) of an upload, or Refused."""
        parsed = parse_handin_zip_name(upload.original, self.ps, self.notebooks)
        if parsed is None:
            for other in self.others:
                if other in upload.original:
                    raise Refused(f"is a hand-in of {other}, not {self.ps}")
            if upload.original.lower().endswith((".ipynb", ".pdf")):
                raise Refused(f"is a bare {Path(upload.original).suffix} file, not the hand-in zip "
                              f"(<notebook>_{self.ps}_<id>.zip made by the hand-in command)")
            raise Refused(f"is not a hand-in zip of {self.ps} (expected <notebook>_{self.ps}_<id>.zip, "
                          f"notebooks: {', '.join(self.notebooks)})")
        notebook, student = parsed
        if self.students and student not in self.students:
            student = without_reupload_suffix(student)
        elif not self.students and upload.platform != "plain":
            student = without_reupload_suffix(student)
        return notebook, self.check_student(student, upload)

    def check_student(self, student: str, upload: Upload) -> str:
        if not self.students:
            return student
        if student not in self.students:
            raise Refused(f"names student {student!r}, who is not on the roster")
        if upload.platform_id and self.by_platform:
            owner = self.by_platform.get(upload.platform_id)
            if owner is None:
                raise Refused(f"comes from {upload.platform} user {upload.platform_id}, who is not on the roster")
            if owner.id != student:
                raise Refused(f"names student {student!r} but was uploaded by {owner.id!r} "
                              f"({upload.platform} user {upload.platform_id})")
        return student

    def open(self, upload: Upload) -> HandIn:
        notebook, student = self.identify(upload)
        try:
            data = upload.read()
        except OSError as e:
            raise Refused(f"cannot be read ({e})") from None
        z = SafeZip(data, upload.original)
        try:
            names = [m.name for m in z.members()]
            inside = [n for n in names if n.lower().endswith(".ipynb") and "/." not in f"/{n}"]
            if not inside:
                raise Refused("holds no notebook (.ipynb)")
            wanted = [n for n in inside if Path(n).name == f"{notebook}.ipynb"]
            if not wanted:
                raise Refused(f"holds {', '.join(Path(n).name for n in inside)}, not {notebook}.ipynb")
            nb_bytes = z.read(wanted[0])
            self.check_notebook(nb_bytes, notebook)
            files = {f"{notebook}.ipynb": nb_bytes}
            pdfs = [n for n in names if Path(n).name == f"{notebook}.pdf"]
            hand_in = HandIn(student, notebook, upload, files)
            if pdfs:
                files[f"{notebook}.pdf"] = z.read(pdfs[0])
            else:
                hand_in.notes.append(NO_PDF)
            return hand_in
        finally:
            z.close()

    def check_notebook(self, data: bytes, notebook: str) -> None:
        try:
            nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        except (UnicodeDecodeError, ValueError, nbformat.reader.NotJSONError) as e:
            raise Refused(f"holds {notebook}.ipynb, which is not a valid notebook (not valid JSON: "
                          f"{str(e).splitlines()[0][:80]})") from None
        except Exception as e:  # nbformat's validation errors have many types
            raise Refused(f"holds {notebook}.ipynb, which is not a valid notebook ({type(e).__name__})") from None
        expected = self.cells[notebook]
        if expected and len(_grade_ids(nb) & expected) < MIN_SHARED_CELLS * len(expected):
            raise Refused(f"holds a {notebook}.ipynb that is not this assignment's notebook "
                          "(its graded cells are not those of the release)")


def _grade_ids(nb) -> set[str]:
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


def gather(assignment: Assignment, uploads: list[Upload]) -> Report:
    """Check every upload; keep the newest of each (student, notebook)."""
    report = Report()
    newest: dict[tuple[str, str], list[HandIn]] = {}
    for upload in uploads:
        try:
            hand_in = assignment.open(upload)
        except Refused as e:
            report.refused.append((upload.where, str(e)))
            continue
        newest.setdefault((hand_in.student, hand_in.notebook), []).append(hand_in)
    for (student, notebook), hand_ins in sorted(newest.items()):
        hand_ins.sort(key=lambda h: h.upload.time)
        keep = hand_ins[-1]
        if len(hand_ins) > 1:
            report.notes.append(f"{student}: {notebook} uploaded {len(hand_ins)} times; the newest "
                                f"({keep.upload.time:%Y-%m-%d %H:%M:%S}, {keep.upload.where}) is kept")
        report.collected.setdefault(student, []).append(keep)
    no_pdf = sorted(f"{h.student}/{h.notebook}" for hs in report.collected.values() for h in hs if NO_PDF in h.notes)
    if no_pdf:
        report.notes.append(f"{len(no_pdf)} hand-in(s) without a PDF (written answers are then graded in "
                            f"formgrader only): {', '.join(no_pdf[:6])}{', ...' if len(no_pdf) > 6 else ''}")
    return report


def write(course: Path, ps: str, report: Report, timezone: str) -> None:
    """Write each student's folder whole (staged, then moved into place)."""
    submitted = course / "submitted"
    staging = course / STATE / f"staging_{ps}"
    shutil.rmtree(staging, ignore_errors=True)
    for student, hand_ins in report.collected.items():
        folder = staging / student
        folder.mkdir(parents=True)
        for hand_in in hand_ins:
            for name, data in hand_in.files.items():
                (folder / name).write_bytes(data)
        latest = max(h.upload.time for h in hand_ins)
        (folder / "timestamp.txt").write_text(f"{latest:%Y-%m-%d %H:%M:%S.%f} {timezone}".strip())
        dest = submitted / student / ps
        dest.parent.mkdir(parents=True, exist_ok=True)
        old = dest.with_name(f".{ps}.replaced")
        if dest.exists():
            shutil.rmtree(old, ignore_errors=True)
            dest.rename(old)
        folder.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


def record(course: Path, ps: str, report: Report) -> Path:
    """.term/collect_<ps>.json: each collected hand-in's upload (platform ids and names, time)."""
    path = course / STATE / f"collect_{ps}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {student: [{"notebook": h.notebook, "upload": h.upload.where, "original": h.upload.original,
                       "time": h.upload.time.isoformat(), "platform": h.upload.platform,
                       "platform_id": h.upload.platform_id, "platform_prefix": h.upload.platform_prefix,
                       "late_flag": h.upload.late_flag} for h in hand_ins]
            for student, hand_ins in sorted(report.collected.items())}
    path.write_text(json.dumps(data, indent=1, sort_keys=True))
    return path


def collect(course: Path, ps: str, source: Path, timezone: str = "", db_url: str | None = None) -> Report:
    if ps not in assignments(course):
        raise Refused(f"unknown assignment {ps!r}; this course has {', '.join(assignments(course))}")
    if not any((course / "release" / ps).glob("*.ipynb")):
        raise Refused(f"release/{ps} has no notebooks: run `make release` first")
    students = roster(course, db_url)
    assignment = Assignment(course, ps, students)
    report = gather(assignment, find_uploads(source))
    if not students:
        report.notes.append("no roster in the gradebook (make roster file=students.csv): ids are not checked")
    write(course, ps, report, timezone)
    record(course, ps, report)
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Collect hand-in zips into submitted/ for grading.")
    ap.add_argument("assignment", help="e.g. ps1")
    ap.add_argument("source", type=Path, help="a folder or zip of hand-in zips (a platform's bulk download)")
    ap.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this checkout)")
    ap.add_argument("--timezone", default="", help="time zone of the upload times, e.g. Europe/Zurich")
    args = ap.parse_args(argv)
    course = args.course.resolve()
    try:
        report = collect(course, args.assignment, args.source, args.timezone)
    except (Refused, FileNotFoundError) as e:
        print(f"collect: {e}", file=sys.stderr)
        return 2
    print("\n".join(report.lines(args.assignment)))
    if report.collected:
        from dlcourse.term.manual_pdfs import gather_pdfs
        merged = gather_pdfs(course, args.assignment)
        if merged:
            print(f"PDFs for manual grading: {merged.parent}/ (all in one: {merged.name})")
    return 0
