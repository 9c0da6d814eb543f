"""Grade a whole class in parallel: every hand-in of one assignment, one command.

    python -m tools.grade_class ps1 [--workers N] [--force]
                                    [--scheduler tcp://host:8786] [--db-url URL] [--course DIR]

(no assignment: all of them); then writes the class report (tools/class_report.py).

Each hand-in under submitted/<student>/<ps>/ is one job: `nbgrader autograde
<ps> --student <id>` and `nbgrader generate_feedback` run in a scratch course
of its own (the course's nbgrader_config.py, source/<ps>/, the hand-in, and a
scratch gradebook holding only the assignment's structure).  A job takes
files in and gives files and grades back, so it runs the same in a local
process pool (default, one worker per core) or on a Dask distributed cluster
(`--scheduler`), with no shared file system needed.

Only the main process writes the course's gradebook, one hand-in at a time,
as results come in (`merge`): concurrent graders never write the same
database, so no grade is lost or half written, SQLite or PostgreSQL
(`--db-url`, any SQLAlchemy URL nbgrader accepts) alike.  Manual grades
already in the gradebook are kept, as `nbgrader autograde --force` keeps them.

Resume: .grading/<ps>.json records a content hash (hand-in + source/<ps> +
nbgrader_config.py + utils/) of every hand-in graded; an unchanged one is
skipped unless --force, so an interrupted run picks up where it stopped.
Hand-ins that nbgrader cannot grade are reported with the reason
(tools.course.failures_from_log), leave the gradebook as it was, and are
retried on the next run.  Hand-ins graded with a problem (a notebook of a
two-notebook assignment missing or renamed: nbgrader scores it 0) are graded
and the problem is reported (tools.course.notes_from_log).
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools import course as C

STATE_DIR = ".grading"
# Tables that describe an assignment (copied into each scratch gradebook);
# the submission tables are what a grading job fills in.
STRUCTURE = ("course", "assignment", "notebook", "base_cell", "source_cell",
             "grade_cells", "solution_cells", "task_cells")


# ---------------------------------------------------------------- gradebook --

def default_db_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def normalise_db_url(url: str) -> str:
    """postgresql://... with the psycopg2 driver when psycopg 3 (SQLAlchemy 2.1's default) is missing."""
    if url.startswith(("postgresql://", "postgres://")):
        import importlib.util
        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
            return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def course_id(course: Path) -> str:
    text = (course / "nbgrader_config.py").read_text()
    for line in text.splitlines():
        if line.strip().startswith("c.CourseDirectory.course_id"):
            return line.split("=", 1)[1].strip().strip("\"'")
    return "default_course"


def ensure_assignment(course: Path, ps: str, db_url: str) -> None:
    """The gradebook knows `ps` (else generate it there, into a throwaway release folder)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id(course)) as gb:
        try:
            if gb.find_assignment(ps).notebooks:
                return
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        C.nbgrader(course, "generate_assignment", ps, "--force", "--db", db_url,
                   f"--CourseDirectory.release_directory={tmp}")


def make_template(db_url: str, cid: str, path: Path) -> bytes:
    """A fresh SQLite gradebook with the structure rows of `db_url` (no submissions): its bytes."""
    from nbgrader.api import Base, Gradebook
    from sqlalchemy import create_engine

    from sqlalchemy import text

    url = f"sqlite:///{path}"
    src, dst = create_engine(db_url), create_engine(url)
    # The schema, and the alembic stamp copied from the course gradebook: a new
    # Gradebook() would find the stamp by running the `alembic` command (~2 s).
    Base.metadata.create_all(dst)
    tables = [t for t in Base.metadata.sorted_tables if t.name in STRUCTURE]
    with src.connect() as s, dst.begin() as d:
        stamp = s.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        d.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        for v in stamp:
            d.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": v})
        for t in tables:
            rows = [dict(r) for r in s.execute(t.select()).mappings()]
            if rows:
                d.execute(t.insert(), rows)
    src.dispose()
    dst.dispose()
    Gradebook(url, cid).close()  # opens as nbgrader will (checks the stamp)
    return path.read_bytes()


def read_submission(db_url: str, cid: str, ps: str, student: str) -> dict | None:
    """Everything autograde wrote for one submission, as plain data."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, cid) as gb:
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
                "comments": {c.name: c.auto_comment for c in nb.comments}}
    return out


def merge(gb, ps: str, student: str, data: dict) -> None:
    """Write one graded submission into the course gradebook (one transaction).

    Same result as `nbgrader autograde --force` on the course gradebook: the
    automatic fields are replaced, manual scores, comments, extra credit and
    "flagged" marks kept, and a grade whose manual score exists is flagged for
    review again.
    """
    import warnings
    from datetime import datetime

    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning

    try:
        gb.find_student(student)
    except MissingEntry:
        gb.update_or_create_student(student, **{k: v for k, v in data["student"].items() if v is not None})
    ts = datetime.fromisoformat(data["timestamp"]) if data["timestamp"] else None
    with warnings.catch_warnings():  # nbgrader's own autoflush chatter on a new submission
        warnings.simplefilter("ignore", SAWarning)
        sub = gb.update_or_create_submission(ps, student, **({"timestamp": ts} if ts else {}))
    for nb in sub.notebooks:
        got = data["notebooks"].get(nb.name)
        if got is None:
            continue
        nb.flagged = bool(nb.flagged or got["flagged"])  # a flag (instructor's or tamper's) stays until cleared by hand
        nb.late_submission_penalty = got["late_submission_penalty"]
        for g in nb.grades:
            if g.name in got["grades"]:
                g.auto_score = got["grades"][g.name]
                g.needs_manual_grade = g.manual_score is not None or g.auto_score is None
        for c in nb.comments:
            if c.name in got["comments"]:
                c.auto_comment = got["comments"][c.name]
    gb.db.commit()


# --------------------------------------------------------------------- jobs --

def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()} if folder.is_dir() else {}


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


def grade_handin(job: dict) -> dict:
    """Autograde and write feedback for one hand-in in a scratch course; files and grades back.

    Self-contained (bytes in, bytes out) so it runs in a local process or on
    any Dask worker that has the course's Python environment installed.
    """
    ps, student = job["ps"], job["student"]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"grade-{student}-") as tmp:
        course = Path(tmp)
        (course / "nbgrader_config.py").write_text(job["config"])
        _write(course / "source" / ps, job["source"])
        _write(course / "submitted" / student / ps, job["handin"])
        (course / "gradebook.db").write_bytes(job["template"])
        db = default_db_url(course)
        if job.get("in_process"):
            rc, log, fb_log = _nbgrader_in_process(course, ps, student, db)
        else:
            proc = C.nbgrader(course, "autograde", ps, "--student", student, "--force", "--db", db, check=False)
            fb = C.nbgrader(course, "generate_feedback", ps, "--student", student, "--force", "--db", db,
                            check=False)
            rc, log, fb_log = proc.returncode, proc.stdout + proc.stderr, fb.stdout + fb.stderr
        return {"student": student, "ps": ps, "returncode": rc, "log": log, "feedback_log": fb_log,
                "grades": read_submission(default_db_url(course), job["course_id"], ps, student),
                "autograded": _files(course / "autograded" / student / ps),
                "feedback": _files(course / "feedback" / student / ps),
                "seconds": time.perf_counter() - t0, "host": os.uname().nodename}


def _nbgrader_in_process(course: Path, ps: str, student: str, db_url: str) -> tuple[int, str, str]:
    """autograde + generate_feedback through nbgrader's Python API, in this (long-lived) process.

    Saves two Python start-ups with nbgrader's imports per hand-in (seconds of
    CPU on a busy machine); the result and the log are those of the command line.
    """
    import logging

    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.CourseDirectory.db_url = db_url
    log = logging.getLogger(f"grade_class.{os.getpid()}")
    log.propagate = False
    log.setLevel(logging.INFO)
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg, log=log)
    res = api.autograde(ps, student, force=True, create=True)
    fb = api.generate_feedback(ps, student, force=True)
    fb_log = "" if fb.get("success") else fb.get("log", "") + fb.get("error", "")
    return (0 if res.get("success") else 1), res.get("log", "") + res.get("error", ""), fb_log


def grading_inputs(course: Path, source: dict[str, bytes]) -> dict[str, bytes]:
    """Everything besides the hand-in that decides its grade: source/<ps>/ (hidden tests),
    the nbgrader configuration and the utils package the tests import.  A change to any of
    them regrades every hand-in on the next run."""
    import utils
    out = {f"source/{k}": v for k, v in source.items()}
    out["nbgrader_config.py"] = (course / "nbgrader_config.py").read_bytes()
    pkg = Path(utils.__file__).parent
    out.update({f"utils/{p.relative_to(pkg)}": p.read_bytes() for p in sorted(pkg.rglob("*.py"))})
    return out


def handin_hash(handin: dict[str, bytes], source: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for part in (handin, source):
        for rel in sorted(part):
            h.update(rel.encode() + b"\0" + hashlib.sha256(part[rel]).digest())
        h.update(b"\1")
    return h.hexdigest()


# -------------------------------------------------------------------- state --

class State:
    """.grading/<ps>.json: {"handins": {student: {"hash", "graded_at", "seconds"}} of hand-ins
    graded, "failed": {student: reason} of those the last run could not grade}."""

    def __init__(self, course: Path, ps: str, db_url: str):
        self.path = course / STATE_DIR / f"{ps}.json"
        self.db_url = db_url
        data = load_state(course, ps)
        # a state file describes one gradebook: another gradebook starts afresh
        same = data.get("db_url") == db_url
        self.done = data.get("handins", {}) if same else {}
        self.failed = data.get("failed", {}) if same else {}

    def unchanged(self, student: str, digest: str) -> bool:
        return self.done.get(student, {}).get("hash") == digest

    def record(self, student: str, digest: str, seconds: float) -> None:
        self.done[student] = {"hash": digest, "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                              "seconds": round(seconds, 2)}
        self.failed.pop(student, None)
        self._save()

    def record_failure(self, student: str, reason: str) -> None:
        self.failed[student] = reason
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"db_url": self.db_url, "handins": self.done, "failed": self.failed},
                                  indent=1))
        os.replace(tmp, self.path)  # atomic: an interruption never leaves half a state file


def load_state(course: Path, ps: str) -> dict:
    path = course / STATE_DIR / f"{ps}.json"
    return json.loads(path.read_text()) if path.exists() else {}


# ------------------------------------------------------------------ running --

def _warm_worker() -> None:
    """Pool initializer: nbgrader's imports once per worker, not per hand-in; no SQLAlchemy
    autoflush chatter on the instructor's console (nbgrader's own, harmless)."""
    import warnings

    from sqlalchemy.exc import SAWarning
    warnings.simplefilter("ignore", SAWarning)
    import nbgrader.apps.api  # noqa: F401
    import nbgrader.converters  # noqa: F401


def _ready() -> int:
    return os.getpid()


def _local_pool(workers: int):
    """A spawn pool whose workers start (and import nbgrader) right away, while the
    main process prepares the jobs."""
    import multiprocessing as mp
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                  initializer=_warm_worker)
    for _ in range(workers):
        pool.submit(_ready)
    return pool


def grade_class(course: Path, ps: str, workers: int | None = None, force: bool = False,
                scheduler: str | None = None, db_url: str | None = None,
                progress: bool = True) -> dict:
    """Grade every hand-in of `ps`; returns {"rows", "failed", "graded", "skipped", "seconds"}."""
    from nbgrader.api import Gradebook
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    os.environ["PATH"] = C.venv_env()["PATH"]  # nbgrader's Gradebook runs `alembic` from PATH
    course = course.resolve()
    db_url = normalise_db_url(db_url or default_db_url(course))
    cid = course_id(course)
    subs = sorted(p for p in (course / "submitted").glob(f"*/{ps}") if p.is_dir())
    if not subs:
        print(f"{ps}: no hand-ins under submitted/*/{ps}")
        return {"rows": [], "failed": {}, "notes": {}, "suspicious": {}, "graded": [], "skipped": [],
                "seconds": 0.0}

    workers = workers or os.cpu_count() or 1
    pool = None if scheduler else _local_pool(min(workers, len(subs)))
    ensure_assignment(course, ps, db_url)
    source = _files(course / "source" / ps)
    source = {k: v for k, v in source.items() if ".ipynb_checkpoints" not in k}
    graded_with = grading_inputs(course, source)
    state = State(course, ps, db_url)
    with tempfile.TemporaryDirectory() as tmp:
        template = make_template(db_url, cid, Path(tmp) / "template.db")
    config = (course / "nbgrader_config.py").read_text()

    jobs, skipped = [], []
    for folder in subs:
        student = folder.parent.name
        handin = {k: v for k, v in _files(folder).items() if ".ipynb_checkpoints" not in k}
        digest = handin_hash(handin, graded_with)
        if not force and state.unchanged(student, digest):
            skipped.append(student)
            continue
        jobs.append(({"ps": ps, "student": student, "config": config, "source": source,
                      "handin": handin, "template": template, "course_id": cid,
                      # local pool workers are processes of their own: nbgrader runs inside them;
                      # on Dask (threads in a worker) each job starts nbgrader processes
                      "in_process": not scheduler}, digest))
    if skipped:
        print(f"{ps}: {len(skipped)} unchanged hand-in(s) already graded, skipped (--force regrades)")

    failed: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    graded: list[str] = []
    log_dir = course / "logs"
    log_dir.mkdir(exist_ok=True)
    logs = []
    if not jobs and pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
    if jobs:
        client = None
        if scheduler:
            from distributed import Client
            client = Client(scheduler, timeout="30s")
            futures = {client.submit(grade_handin, job, key=f"grade-{ps}-{job['student']}-{digest[:12]}",
                                     pure=False): (job, digest) for job, digest in jobs}
            from distributed import as_completed
            done_iter = as_completed(futures)
            where = f"Dask cluster {scheduler} ({len(client.scheduler_info().get('workers', {}))} workers)"
        else:
            futures = {pool.submit(grade_handin, job): (job, digest) for job, digest in jobs}
            done_iter = cf.as_completed(futures)
            where = f"{min(workers, len(subs))} local worker(s)"
        print(f"{ps}: grading {len(jobs)} hand-in(s) on {where}")
        bar = tqdm(total=len(jobs), desc=f"grading {ps}", unit="hand-in", disable=not progress)
        try:
            with Gradebook(db_url, cid) as gb:
                for fut in done_iter:
                    job, digest = futures[fut]
                    student = job["student"]
                    try:
                        res = fut.result()
                    except Exception as exc:  # the job itself crashed (worker lost, ...)
                        failed[student] = f"grading job failed: {type(exc).__name__}: {exc}"
                        state.record_failure(student, failed[student])
                        bar.update()
                        continue
                    logs.append(f"===== {student} ({res['host']}, {res['seconds']:.1f}s)\n{res['log']}")
                    why = C.failures_from_log(res["log"]).get(student)
                    if why is None and res["returncode"] != 0:
                        why = f"nbgrader autograde exited with {res['returncode']}"
                    if why:
                        # nothing of a failed job reaches the gradebook or the course folders:
                        # grades from an earlier, successful run stay as they were
                        failed[student] = why
                        state.record_failure(student, why)
                    else:
                        _install(course, ps, student, res)
                        if res["grades"] is not None:
                            merge(gb, ps, student, res["grades"])
                        graded.append(student)
                        state.record(student, digest, res["seconds"])
                        for note in C.notes_from_log(res["log"]).get(student, []):
                            notes.setdefault(student, []).append(note)
                    bar.update()
        finally:
            bar.close()
            if client is not None:
                client.close()
            else:
                pool.shutdown(wait=False, cancel_futures=True)
            (log_dir / f"grade_class_{ps}.log").write_text("\n".join(logs))
        _refresh_manual_feedback(course, ps, db_url, cid, graded)

    export_csv(db_url, cid, course / "grades.csv")
    rows = [r for r in C.scores(course, db_url, cid) if r["assignment"] == ps]
    for r in rows:
        r["problem"] = failed.get(r["student"], "")
        r["note"] = "; ".join(notes.get(r["student"], []))
    took = time.perf_counter() - t_start
    print(f"{ps}: graded {len(graded)}, skipped {len(skipped)}, not graded {len(failed)} "
          f"of {len(subs)} hand-ins in {took:.1f}s" + (f"; logs in logs/grade_class_{ps}.log" if failed else ""))
    for student, why in sorted(failed.items()):
        print(f"    NOT GRADED {student}/{ps}: {why}")
    for student, what in sorted(notes.items()):
        print(f"    graded, but {student}/{ps}: {'; '.join(what)}")
    from tools import tamper
    suspicious = {s: f for s, f in tamper.review(course, ps).items() if s in graded}
    for student, findings in sorted(suspicious.items()):
        print(f"    REVIEW BY HAND {student}/{ps} (flagged in the gradebook): " + "; ".join(findings[:3])
              + (f" (+{len(findings) - 3} more)" if len(findings) > 3 else ""))
    return {"rows": rows, "failed": failed, "notes": notes, "suspicious": suspicious, "graded": graded,
            "skipped": skipped, "seconds": took}


def export_csv(db_url: str, cid: str, dest: Path) -> None:
    """grades.csv as `nbgrader export` writes it (its CSV plugin), without a second process."""
    import logging

    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin(to=str(dest))
    plugin.log = logging.getLogger("grade_class.export")
    with Gradebook(db_url, cid) as gb:
        plugin.export(gb)


def _install(course: Path, ps: str, student: str, res: dict) -> None:
    """Put a job's autograded notebook and feedback into the course (replacing older ones)."""
    for kind in ("autograded", "feedback"):
        dest = course / kind / student / ps
        if dest.exists():
            shutil.rmtree(dest)
        if res[kind]:
            _write(dest, res[kind])


def _refresh_manual_feedback(course: Path, ps: str, db_url: str, cid: str, students: list[str]) -> None:
    """Feedback made in a scratch course lacks manual grades: regenerate it where some exist."""
    from nbgrader.api import Gradebook, MissingEntry

    redo = []
    with Gradebook(db_url, cid) as gb:
        for s in students:
            try:
                sub = gb.find_submission(ps, s)
            except MissingEntry:
                continue
            if any(g.manual_score is not None or g.extra_credit for nb in sub.notebooks for g in nb.grades):
                redo.append(s)
    for s in redo:
        C.nbgrader(course, "generate_feedback", ps, "--student", s, "--force", "--db", db_url, check=False)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("assignments", nargs="*", help="e.g. ps1 (default: all)")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: cores)")
    ap.add_argument("--force", action="store_true", help="regrade unchanged hand-ins too")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    ap.add_argument("--db-url", default=None, help="gradebook SQLAlchemy URL (default: sqlite course/gradebook.db)")
    ap.add_argument("--course", type=Path, default=C.ROOT, help="course folder (default: this checkout)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("--no-report", action="store_true", help="skip the class report (reports/<ps>/index.html)")
    args = ap.parse_args(argv)
    course = args.course.resolve()
    names = args.assignments or C.assignments(course)
    unknown = set(names) - set(C.assignments(course))
    if unknown:
        print(f"unknown assignment(s): {', '.join(sorted(unknown))}; have {', '.join(C.assignments(course))}")
        return 2
    for ps in names:
        out = grade_class(course, ps, workers=args.workers, force=args.force,
                          scheduler=args.scheduler, db_url=args.db_url, progress=not args.no_progress)
        C.print_table(out["rows"])
        if out["rows"] and not args.no_report:
            from tools import class_report
            print(f"\nclass report: {class_report.write(course, ps, args.db_url)}")
    print(f"feedback: {course / 'feedback'}/<student>/<ps>/*.html")
    print(f"grades:   {course / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
