"""The course gradebook as class grading uses it: structure for the jobs, one transaction per
hand-in for their results, grades.csv.  Any SQLAlchemy URL nbgrader accepts (SQLite, PostgreSQL)."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

from dlcourse import course as C

# Tables that describe an assignment (copied into each scratch gradebook);
# the submission tables are what a grading job fills in.
STRUCTURE = ("course", "assignment", "notebook", "base_cell", "source_cell",
             "grade_cells", "solution_cells", "task_cells")


def normalise_db_url(url: str) -> str:
    """postgresql://... with the psycopg2 driver when psycopg 3 (SQLAlchemy 2.1's default) is missing."""
    if url.startswith(("postgresql://", "postgres://")):
        import importlib.util
        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
            return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def ensure_assignment(course: Path, ps: str, db_url: str, course_id: str) -> None:
    """The gradebook knows `ps` (else generate it there, into a throwaway release folder)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id) as gb:
        try:
            if gb.find_assignment(ps).notebooks:
                return
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        C.nbgrader(course, "generate_assignment", ps, "--force", "--db", db_url,
                   f"--CourseDirectory.release_directory={tmp}")


def submitted(db_url: str, course_id: str, ps: str) -> set[str]:
    """The students with a submission of `ps` in the gradebook (none if it does not know `ps` yet)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id) as gb:
        try:
            return {s.student.id for s in gb.find_assignment(ps).submissions}
        except MissingEntry:
            return set()


def make_template(db_url: str, course_id: str) -> bytes:
    """A fresh SQLite gradebook with the structure rows of `db_url` (no submissions): its bytes."""
    from nbgrader.api import Base, Gradebook, get_alembic_version
    from sqlalchemy import create_engine, inspect, text

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.db"
        url = f"sqlite:///{path}"
        src, dst = create_engine(db_url), create_engine(url)
        # The schema, and the alembic stamp copied from the course gradebook: a new
        # Gradebook() would find the stamp by running the `alembic` command (~2 s) -- done here
        # only for a gradebook that has none (made by a Gradebook() that could not run alembic).
        Base.metadata.create_all(dst)
        tables = [t for t in Base.metadata.sorted_tables if t.name in STRUCTURE]
        stamped = inspect(src).has_table("alembic_version")
        with src.connect() as s, dst.begin() as d:
            stamp = (s.execute(text("SELECT version_num FROM alembic_version")).scalars().all() if stamped
                     else [get_alembic_version()])
            d.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            for v in stamp:
                d.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": v})
            for t in tables:
                rows = [dict(r) for r in s.execute(t.select()).mappings()]
                if rows:
                    d.execute(t.insert(), rows)
        src.dispose()
        dst.dispose()
        Gradebook(url, course_id).close()  # opens as nbgrader will (checks the stamp)
        return path.read_bytes()


def read_submission(db_url: str, course_id: str, ps: str, student: str) -> dict | None:
    """Everything autograde wrote for one submission, as plain data."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id) as gb:
        try:
            sub = gb.find_submission(ps, student)
        except MissingEntry:
            return None
        stud = sub.student
        out = {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
               "student": {k: getattr(stud, k) for k in ("first_name", "last_name", "email", "lms_user_id")},
               "notebooks": {}}
        for nb in sub.notebooks:
            out["notebooks"][nb.name] = {
                "flagged": nb.flagged, "late_submission_penalty": nb.late_submission_penalty,
                "grades": {g.name: g.auto_score for g in nb.grades},
                # set by autograde only for bonus tests (preprocessors/extra_credit.py)
                "extra": {g.name: g.extra_credit for g in nb.grades if g.extra_credit is not None},
                "comments": {c.name: c.auto_comment for c in nb.comments}}
    return out


@contextmanager
def one_transaction(gb):
    """nbgrader's Gradebook commits inside each update_or_create_*; within this block those
    commits only flush, and the block commits once at its end (or rolls back): all or nothing,
    whenever the process dies."""
    commit = gb.db.commit
    gb.db.commit = gb.db.flush
    try:
        yield gb
    except BaseException:
        gb.db.rollback()
        raise
    else:
        commit()
    finally:
        del gb.db.commit


def merge(gb, ps: str, student: str, data: dict) -> None:
    """Write one graded submission into the course gradebook, in one transaction.

    Same result as `nbgrader autograde --force` on the course gradebook: the automatic fields
    (and the extra credit of bonus tests) are replaced, manual scores, comments, graders' extra
    credit and "flagged" marks kept, and a grade whose manual score exists is flagged for review.
    """
    import warnings
    from datetime import datetime

    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning

    with one_transaction(gb), warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own autoflush chatter on a new submission
        try:
            gb.find_student(student)
        except MissingEntry:
            gb.update_or_create_student(student, **{k: v for k, v in data["student"].items() if v is not None})
        ts = datetime.fromisoformat(data["timestamp"]) if data["timestamp"] else None
        sub = gb.update_or_create_submission(ps, student, **({"timestamp": ts} if ts else {}))
        for nb in sub.notebooks:
            if nb.name in data["notebooks"]:
                _merge_notebook(nb, data["notebooks"][nb.name])


def _merge_notebook(nb, got: dict) -> None:
    nb.flagged = bool(nb.flagged or got["flagged"])  # a flag (instructor's or tamper's) stays until cleared by hand
    nb.late_submission_penalty = got["late_submission_penalty"]
    for g in nb.grades:
        if g.name in got["grades"]:
            g.auto_score = got["grades"][g.name]
            g.needs_manual_grade = g.manual_score is not None or g.auto_score is None
        if g.name in got.get("extra", {}):  # a bonus test's extra credit is autograded
            g.extra_credit = got["extra"][g.name]
    for c in nb.comments:
        if c.name in got["comments"]:
            c.auto_comment = got["comments"][c.name]


def export_csv(db_url: str, course_id: str, dest: Path) -> None:
    """grades.csv as `nbgrader export` writes it (its CSV plugin), without a second process."""
    import logging

    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin(to=str(dest))
    plugin.log = logging.getLogger("dlcourse.grading.export")
    with Gradebook(db_url, course_id) as gb:
        plugin.export(gb)


def refresh_manual_feedback(course: Path, ps: str, db_url: str, course_id: str, graded: dict[str, dict]) -> None:
    """Feedback made in a scratch course lacks what graders entered: regenerate it for the
    students (graded: {student: read_submission's data}) with a manual score, or extra credit
    the job did not give (a bonus test's is the job's own)."""
    from nbgrader.api import Gradebook, MissingEntry

    redo = []
    with Gradebook(db_url, course_id) as gb:
        for student, data in graded.items():
            try:
                sub = gb.find_submission(ps, student)
            except MissingEntry:
                continue
            auto = {(nb, g): x for nb, got in (data or {}).get("notebooks", {}).items()
                    for g, x in got.get("extra", {}).items()}
            if any(g.manual_score is not None or (g.extra_credit and g.extra_credit != auto.get((nb.name, g.name)))
                   for nb in sub.notebooks for g in nb.grades):
                redo.append(student)
    for student in redo:
        C.nbgrader(course, "generate_feedback", ps, "--student", student, "--force", "--db", db_url, check=False)
