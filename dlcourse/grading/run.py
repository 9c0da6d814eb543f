"""Grade a whole class in parallel: every hand-in of one assignment, one command.

    dlcourse grade ps1 [--workers N] [--force]
                                    [--scheduler tcp://host:8786] [--db-url URL] [--course DIR]

(no assignment: all of them); then writes the class report (dlcourse/grading/report.py).

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
nbgrader_config.py + utils/) of every hand-in graded; an unchanged one that
the gradebook holds is skipped unless --force, so an interrupted run (Ctrl-C,
SIGTERM, a crash) picks up where it stopped.  Ctrl-C or SIGTERM waits for the
hand-in being written to the gradebook, then stops the workers.

Before any grading, bad input stops the command with one line saying why
(exit 2): --workers below 1, an unknown assignment, a gradebook URL that does
not parse or cannot be opened, a Dask scheduler that cannot be reached or has
no workers, and a sandbox that cannot start where grading will run (unless
COURSE_ALLOW_UNSANDBOXED=1 or c.SandboxedKernelManager.allow_unsandboxed).
Hand-ins that nbgrader cannot grade are reported with the reason
(dlcourse.course.failures_from_log), leave the gradebook as it was, and are
retried on the next run.  Hand-ins graded with a problem (a notebook of a
two-notebook assignment missing or renamed: nbgrader scores it 0; output cut
short because it was too long) are graded and the problem is reported
(dlcourse.course.notes_from_log, dlcourse.grading.preprocessors.truncations_from_log).  The log of every
job: logs/autograde_<ps>.log.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from dlcourse import course as C
from dlcourse.grading.table import print_table
from dlcourse.grading.scores import scores
from dlcourse.grading.outcomes import failures_from_log, notes_from_log

STATE_DIR = ".grading"
# Tables that describe an assignment (copied into each scratch gradebook);
# the submission tables are what a grading job fills in.
STRUCTURE = ("course", "assignment", "notebook", "base_cell", "source_cell",
             "grade_cells", "solution_cells", "task_cells")


class GradingError(Exception):
    """Why grading cannot start, in one line for the instructor (the CLI exits 2)."""


def default_workers() -> int:
    """Local worker processes when --workers is not given: one per core."""
    return os.cpu_count() or 1


# ------------------------------------------------------------------- checks --

def check_db(url: str, given: str | None = None) -> None:
    """The gradebook URL parses and its database opens (GradingError otherwise, naming the
    URL as `given`, password hidden)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise GradingError(f"--db-url {given or url!r} is not a database URL "
                           "(e.g. sqlite:////path/gradebook.db or postgresql://user@host/dbname)") from None
    shown = make_url(given).render_as_string(hide_password=True) if given else parsed.render_as_string(True)
    try:
        engine = create_engine(parsed, **({"connect_args": {"connect_timeout": 10}}
                                          if parsed.get_backend_name() == "postgresql" else {}))
    except (NoSuchModuleError, ImportError) as e:
        raise GradingError(f"no database driver for {shown}: {e}") from None
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as e:
        why = " ".join(str(getattr(e, "orig", None) or e).split())
        raise GradingError(f"cannot open the gradebook {shown}: {why[:300]}") from None
    finally:
        engine.dispose()


def connect_scheduler(address: str):
    """A Dask client for `address` (tcp://host:port; port 8786 if none) with at least one
    worker (GradingError otherwise)."""
    import socket
    from urllib.parse import urlsplit

    full = address if "://" in address else f"tcp://{address}"
    u = urlsplit(full)
    try:
        port = u.port or 8786
    except ValueError:
        port = None
    if u.scheme not in ("tcp", "tls") or not u.hostname or port is None:
        raise GradingError(f"--scheduler {address!r} is not a Dask scheduler address (e.g. tcp://host:8786)")
    try:
        socket.create_connection((u.hostname, port), timeout=10).close()
    except OSError as e:
        raise GradingError(f"cannot reach the Dask scheduler at {address}: {e.strerror or e}") from None
    from distributed import Client
    try:
        client = Client(f"{u.scheme}://{u.hostname}:{port}", timeout="30s")
    except (OSError, TimeoutError) as e:
        raise GradingError(f"cannot connect to the Dask scheduler at {address}: {e}") from None
    try:
        client.wait_for_workers(1, timeout=60)
    except TimeoutError:
        client.close()
        raise GradingError(f"the Dask scheduler at {address} has no workers (start `dask worker {full}`)") from None
    return client


def sandbox_settings(course: Path) -> tuple[bool, str, bool]:
    """(kernels sandboxed?, bwrap executable, unsandboxed allowed?) from the course's configuration."""
    from traitlets.config.loader import PyFileConfigLoader

    from dlcourse.grading import sandbox
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    kmc = cfg.Execute.get("kernel_manager_class")
    on = isinstance(kmc, type) and issubclass(kmc, sandbox.SandboxedKernelManager)
    skm = cfg.SandboxedKernelManager
    return on, skm.get("bwrap", "bwrap"), bool(skm.get("allow_unsandboxed", False))


def sandbox_problem(bwrap: str, allowed: bool) -> str:
    """'' when kernels can start here as configured (sandboxed, or unsandboxed and allowed
    by the configuration or COURSE_ALLOW_UNSANDBOXED), else why not.  Runs on a grading
    machine: locally, or on each Dask worker."""
    from dlcourse.grading import sandbox
    if allowed or os.environ.get(sandbox.ENV_ALLOW, "") not in ("", "0"):
        return ""
    return sandbox.probe(bwrap)


def check_sandbox(course: Path, client=None) -> None:
    """Stop before grading when no hand-in could be graded: every kernel would fail to start."""
    from dlcourse.grading import sandbox
    on, bwrap, allowed = sandbox_settings(course)
    if not on:
        return
    where = client.run(sandbox_problem, bwrap, allowed) if client is not None else {
        "this machine": sandbox_problem(bwrap, allowed)}
    bad = {w: why for w, why in where.items() if why}
    if bad:
        w, why = next(iter(sorted(bad.items())))
        on_what = f"on {len(bad)} of {len(where)} Dask workers (e.g. {w})" if client is not None else "here"
        raise GradingError(f"cannot sandbox student code {on_what}: {why}; nothing graded. Grading WITHOUT "
                           f"isolation (trusted code only): {sandbox.ENV_ALLOW}=1 or "
                           "c.SandboxedKernelManager.allow_unsandboxed = True")


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
                # set by autograde only for bonus tests (dlcourse/grading/extra_credit.py)
                "extra": {g.name: g.extra_credit for g in nb.grades if g.extra_credit is not None},
                "comments": {c.name: c.auto_comment for c in nb.comments}}
    return out


def merge(gb, ps: str, student: str, data: dict) -> None:
    """Write one graded submission into the course gradebook (one transaction).

    Same result as `nbgrader autograde --force` on the course gradebook: the
    automatic fields (and the extra credit of bonus tests) are replaced, manual
    scores, comments, graders' extra credit and "flagged" marks kept, and a grade
    whose manual score exists is flagged for review again.
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
            if g.name in got.get("extra", {}):  # a bonus test's extra credit is autograded
                g.extra_credit = got["extra"][g.name]
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
    with tempfile.TemporaryDirectory(prefix=f"grade-{student}-", dir=job.get("tmp_root")) as tmp:
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
        from dlcourse.grading import tamper  # what deserves a human look, found here: in parallel, not after the run
        return {"student": student, "ps": ps, "returncode": rc, "log": log, "feedback_log": fb_log,
                "review": tamper.review(course, ps).get(student, []),
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
    autoflush chatter on the instructor's console (nbgrader's own, harmless).

    Ctrl-C in the terminal reaches the whole process group: a worker lets the main
    process decide (it stops the workers) instead of dying with a traceback of its own."""
    import warnings

    from sqlalchemy.exc import SAWarning
    signal.signal(signal.SIGINT, lambda *_: None)  # a handler, not SIG_IGN: kernels must not inherit it
    warnings.simplefilter("ignore", SAWarning)
    import nbgrader.apps.api  # noqa: F401
    import nbgrader.converters  # noqa: F401
    import dlcourse.grading.tamper  # noqa: F401


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


def _stop_pool(pool, now: bool) -> None:
    """Shut the pool down; `now`: kill the workers (and with them their kernels) mid-job."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    if now:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=10)


class _Interrupts:
    """SIGINT (Ctrl-C) and SIGTERM stop grading with KeyboardInterrupt, but never while one
    hand-in's results are being written (gradebook, files, state): they wait for that."""

    def __init__(self):
        self.writing = False
        self.pending: int | None = None
        self.saved: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame) -> None:
        if self.writing:
            self.pending = signum
        else:
            raise KeyboardInterrupt(signal.Signals(signum).name)

    @contextmanager
    def write(self):
        self.writing = True
        try:
            yield
        finally:
            self.writing = False
        if self.pending is not None:
            raise KeyboardInterrupt(signal.Signals(self.pending).name)


def grade_class(course: Path, ps: str, workers: int | None = None, force: bool = False,
                scheduler: str | None = None, db_url: str | None = None,
                progress: bool = True) -> dict:
    """Grade every hand-in of `ps`; returns {"rows", "failed", "notes", "suspicious", "graded",
    "skipped", "seconds"}.  GradingError: bad input, nothing graded.  KeyboardInterrupt (also
    on SIGTERM): stopped; hand-ins graded so far are kept and skipped by the next run."""
    from nbgrader.api import Gradebook
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    if workers is not None and workers < 1:
        raise GradingError(f"--workers must be 1 or more (got {workers})")
    os.environ["PATH"] = C.venv_env()["PATH"]  # nbgrader's Gradebook runs `alembic` from PATH
    course = course.resolve()
    given = db_url
    db_url = normalise_db_url(db_url or default_db_url(course))
    check_db(db_url, given)
    cid = course_id(course)
    client = connect_scheduler(scheduler) if scheduler else None
    subs = sorted(p for p in (course / "submitted").glob(f"*/{ps}") if p.is_dir())
    if not subs:
        if client is not None:
            client.close()
        print(f"{ps}: no hand-ins under {course / 'submitted'}/*/{ps}/: nothing to grade")
        return {"rows": [], "failed": {}, "notes": {}, "suspicious": {}, "graded": [], "skipped": [],
                "seconds": 0.0}
    try:
        check_sandbox(course, client)
    except GradingError:
        if client is not None:
            client.close()
        raise

    workers = workers or default_workers()
    # local jobs' scratch courses: removed however the run ends (workers killed mid-job included)
    tmp_root = None if client else tempfile.mkdtemp(prefix=f"grade_class-{ps}-")
    pool = None if client else _local_pool(min(workers, len(subs)))
    failed: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    graded: list[str] = []
    skipped: list[str] = []
    review: dict[str, list[str]] = {}
    logs: list[str] = []
    log_dir = course / "logs"
    try:
        with _Interrupts() as signals:
            ensure_assignment(course, ps, db_url)
            source = _files(course / "source" / ps)
            source = {k: v for k, v in source.items() if ".ipynb_checkpoints" not in k}
            graded_with = grading_inputs(course, source)
            state = State(course, ps, db_url)
            with Gradebook(db_url, cid) as gb:
                in_gradebook = {s.student.id for s in gb.find_assignment(ps).submissions}
            with tempfile.TemporaryDirectory() as tmp:
                template = make_template(db_url, cid, Path(tmp) / "template.db")
            config = (course / "nbgrader_config.py").read_text()

            jobs = []
            for folder in subs:
                student = folder.parent.name
                handin = {k: v for k, v in _files(folder).items() if ".ipynb_checkpoints" not in k}
                digest = handin_hash(handin, graded_with)
                if not force and student in in_gradebook and state.unchanged(student, digest):
                    skipped.append(student)
                    continue
                jobs.append(({"ps": ps, "student": student, "config": config, "source": source,
                              "handin": handin, "template": template, "course_id": cid,
                              # local pool workers are processes of their own: nbgrader runs inside
                              # them; on Dask (threads in a worker) each job starts nbgrader processes
                              "in_process": client is None, "tmp_root": tmp_root}, digest))
            if skipped:
                print(f"{ps}: {len(skipped)} unchanged hand-in(s) already graded, skipped (--force regrades)")
            if jobs:
                _run_jobs(course, ps, cid, db_url, jobs, client, pool, workers, len(subs), state, signals,
                          progress, tqdm, failed, notes, graded, review, logs)
    except KeyboardInterrupt:
        print(f"\n{ps}: interrupted after grading {len(graded)} hand-in(s) in this run; they are kept. "
              "Run the same command again to grade the rest.", file=sys.stderr)
        raise
    finally:
        if client is not None:
            client.close()
        if pool is not None:
            _stop_pool(pool, now=len(graded) + len(failed) + len(skipped) < len(subs))
        if tmp_root:
            shutil.rmtree(tmp_root, ignore_errors=True)
        if logs:
            log_dir.mkdir(exist_ok=True)
            (log_dir / f"autograde_{ps}.log").write_text("\n".join(logs))
    if graded:
        _refresh_manual_feedback(course, ps, db_url, cid, graded)

    export_csv(db_url, cid, course / "grades.csv")
    rows = [r for r in scores(course, db_url, cid) if r["assignment"] == ps]
    have = {r["student"] for r in rows}
    rows += [{"student": s, "assignment": ps, "auto": None, "auto_max": None, "manual_max": None}
             for s in sorted(failed) if s not in have]
    for r in rows:
        r["problem"] = failed.get(r["student"], "")
        r["note"] = "; ".join(notes.get(r["student"], []))
    took = time.perf_counter() - t_start
    print(f"{ps}: graded {len(graded)}, skipped {len(skipped)}, not graded {len(failed)} "
          f"of {len(subs)} hand-ins in {took:.1f}s" + (f"; log in logs/autograde_{ps}.log" if failed else ""))
    for student, why in sorted(failed.items()):
        print(f"    NOT GRADED {student}/{ps}: {why}")
    for student, what in sorted(notes.items()):
        print(f"    graded, but {student}/{ps}: {'; '.join(what)}")
    suspicious = {s: review[s] for s in graded if review.get(s)}
    for student, findings in sorted(suspicious.items()):
        print(f"    REVIEW BY HAND {student}/{ps} (flagged in the gradebook): " + "; ".join(findings[:3])
              + (f" (+{len(findings) - 3} more)" if len(findings) > 3 else ""))
    return {"rows": rows, "failed": failed, "notes": notes, "suspicious": suspicious, "graded": graded,
            "skipped": skipped, "seconds": took}


def _run_jobs(course, ps, cid, db_url, jobs, client, pool, workers, n_subs, state, signals, progress, tqdm,
              failed, notes, graded, review, logs) -> None:
    """Submit the jobs; write each result into the course as it comes in (fills the last five)."""
    from nbgrader.api import Gradebook

    from dlcourse.grading.preprocessors import truncations_from_log

    if client is not None:
        from distributed import as_completed
        futures = {client.submit(grade_handin, job, key=f"grade-{ps}-{job['student']}-{digest[:12]}",
                                 pure=False): (job, digest) for job, digest in jobs}
        done_iter = as_completed(futures)
        where = f"Dask cluster {client.scheduler.address} ({len(client.scheduler_info().get('workers', {}))} workers)"
    else:
        futures = {pool.submit(grade_handin, job): (job, digest) for job, digest in jobs}
        done_iter = cf.as_completed(futures)
        where = f"{min(workers, n_subs)} local worker(s)"
    print(f"{ps}: grading {len(jobs)} hand-in(s) on {where}", flush=True)
    bar = tqdm(total=len(jobs), desc=f"grading {ps}", unit="hand-in", disable=not progress)
    try:
        with Gradebook(db_url, cid) as gb:
            for fut in done_iter:
                job, digest = futures[fut]
                student = job["student"]
                try:
                    res = fut.result()
                except Exception as exc:  # the job itself crashed (worker lost, ...)
                    with signals.write():
                        failed[student] = f"grading job failed: {type(exc).__name__}: {exc}"
                        state.record_failure(student, failed[student])
                    bar.update()
                    continue
                logs.append(f"===== {student} ({res['host']}, {res['seconds']:.1f}s)\n{res['log']}")
                why = failures_from_log(res["log"]).get(student)
                if why is None and res["returncode"] != 0:
                    why = f"nbgrader autograde exited with {res['returncode']}"
                with signals.write():
                    if why:
                        # nothing of a failed job reaches the gradebook or the course folders:
                        # grades from an earlier, successful run stay as they were
                        failed[student] = why
                        state.record_failure(student, why)
                    else:
                        _install(course, ps, student, res)
                        if res["grades"] is not None:
                            merge(gb, ps, student, res["grades"])
                        state.record(student, digest, res["seconds"])
                        graded.append(student)
                        review[student] = res["review"]
                        for note in (notes_from_log(res["log"]).get(student, [])
                                     + truncations_from_log(res["log"]).get(student, [])):
                            notes.setdefault(student, []).append(note)
                bar.update()
    finally:
        bar.close()


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
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    ap.add_argument("--force", action="store_true", help="regrade unchanged hand-ins too")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    ap.add_argument("--db-url", default=None, help="gradebook SQLAlchemy URL (default: sqlite course/gradebook.db)")
    ap.add_argument("--course", type=Path, default=C.ROOT, help="course folder (default: this checkout)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("--no-report", action="store_true", help="skip the class report (reports/<ps>/index.html)")
    args = ap.parse_args(argv)
    course = args.course.resolve()
    try:
        if not (course / "nbgrader_config.py").is_file() or not (course / "source").is_dir():
            raise GradingError(f"{course} is not a course folder (no nbgrader_config.py or source/)")
        have = C.assignments(course)
        names = args.assignments or have
        unknown = sorted(set(names) - set(have))
        if unknown:
            raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; this course has {', '.join(have)}")
        graded_any = False
        for ps in names:
            out = grade_class(course, ps, workers=args.workers, force=args.force,
                              scheduler=args.scheduler, db_url=args.db_url, progress=not args.no_progress)
            if not out["rows"]:
                continue
            graded_any = True
            print_table(out["rows"])
            if not args.no_report:
                from dlcourse.grading import report as class_report
                print(f"\nclass report: {class_report.write(course, ps, args.db_url)}")
    except GradingError as e:
        print(f"grade_class: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if graded_any:
        print(f"feedback: {course / 'feedback'}/<student>/<ps>/*.html")
        print(f"grades:   {course / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
