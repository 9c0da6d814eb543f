"""Parallel grading (tools/grade_class.py) against serial `nbgrader autograde`, for real.

One scratch course with ps1 released and a few hand-ins (reference, typical
mistakes, a corrupt file) is graded twice: serially by the course's grading
command (one `nbgrader autograde`) and in parallel by tools.grade_class.  Every
grade, comment and submission row of the two gradebooks must be identical.
Then: resume (unchanged hand-ins are skipped), and the distributed set-up: a
Dask scheduler and workers started as separate processes on 127.0.0.1, and a
throwaway PostgreSQL server as the gradebook.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tools import course as C
from tools import grade_class as G
from tools.handins import write_submissions

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("grade_class")
STUDENTS = ("reference", "mistakes")


def make_course(path: Path) -> Path:
    """A course with ps1 released and hand-ins: reference, mistakes and a corrupt notebook."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    shutil.copytree(ROOT / "source" / "ps1", path / "source" / "ps1")
    C.release(path, ["ps1"])
    write_submissions(path, ["ps1"], students=STUDENTS)
    bad = path / "submitted" / "corrupt" / "ps1"
    bad.mkdir(parents=True)
    (bad / "gradient_descent.ipynb").write_text('{"cells": [ this is not json')
    return path


def copy_course(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("autograded", "feedback", ".grading",
                                                             "logs", "grades.csv"))
    return dest


def graded_course(tmp_path_factory) -> Path:
    """A course graded by tools.grade_class, built once per test process (tests/test_class_report.py uses it too)."""
    base = tmp_path_factory.getbasetemp() / "grade_class_shared"
    if not (base / ".done").exists():
        if base.exists():
            shutil.rmtree(base)
        make_course(base / "template")
        copy_course(base / "template", base / "serial")
        copy_course(base / "template", base / "parallel")
        t = time.perf_counter()
        C.grade(base / "serial", ["ps1"])
        (base / "serial_seconds").write_text(str(time.perf_counter() - t))
        out = G.grade_class(base / "parallel", "ps1", workers=2, progress=False)
        (base / "parallel_seconds").write_text(str(out["seconds"]))
        (base / ".done").write_text("")
    return base


def dump(db_url: str, course_id: str = "dl-ground-up") -> dict:
    """Every row a grading run writes, keyed by (student, notebook, cell)."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(db_url, course_id) as gb:
        for a in gb.assignments:
            for sub in a.submissions:
                rows[(sub.student.id, a.name)] = ("submission", sub.timestamp, sub.extension)
                for nb in sub.notebooks:
                    rows[(sub.student.id, nb.name)] = ("notebook", nb.flagged, nb.late_submission_penalty)
                    for g in nb.grades:
                        rows[(sub.student.id, nb.name, "grade", g.name)] = (
                            g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade, g.max_score)
                    for c in nb.comments:
                        rows[(sub.student.id, nb.name, "comment", c.name)] = (c.auto_comment, c.manual_comment)
    return rows


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    return graded_course(tmp_path_factory)


def test_parallel_grades_equal_serial_grades(courses):
    """Every row equal -- except that a hand-in nbgrader cannot grade leaves nothing in the
    parallel gradebook (serial nbgrader leaves an empty submission behind)."""
    serial = {k: v for k, v in dump(G.default_db_url(courses / "serial")).items() if k[0] != "corrupt"}
    parallel = dump(G.default_db_url(courses / "parallel"))
    assert len(serial) > 20
    assert not [k for k in parallel if k[0] == "corrupt"], "a failed hand-in was written to the gradebook"
    assert parallel.keys() == serial.keys()
    diff = {k: (serial[k], parallel[k]) for k in serial if serial[k] != parallel[k]}
    assert not diff, f"parallel grading differs from serial nbgrader: {diff}"


def test_scores_and_outputs(courses):
    course = courses / "parallel"
    rows = {r["student"]: r for r in C.scores(course)}
    assert rows["reference"]["auto"] == rows["reference"]["auto_max"] > 0
    assert 0 < rows["mistakes"]["auto"] < rows["mistakes"]["auto_max"]
    assert "corrupt" not in rows  # not graded: reported, not written
    for s in STUDENTS:
        assert (course / "autograded" / s / "ps1" / "gradient_descent.ipynb").exists()
        assert (course / "feedback" / s / "ps1" / "gradient_descent.html").exists()
    csv_text = (course / "grades.csv").read_text()
    assert "reference" in csv_text and "mistakes" in csv_text


def test_failed_handin_is_reported_and_retried(courses):
    course = courses / "parallel"
    state = json.loads((course / ".grading" / "ps1.json").read_text())
    assert "reference" in state["handins"] and "corrupt" not in state["handins"]  # not marked done
    assert "not valid JSON" in state["failed"]["corrupt"]  # remembered for the class report
    log = (course / "logs" / "grade_class_ps1.log").read_text()
    assert "NotJSONError" in log


def test_cli_resumes_and_regrades_only_changed(courses, tmp_path):
    course = copy_course(courses / "parallel", tmp_path / "c")
    for sub in ("autograded", "feedback", ".grading"):
        shutil.copytree(courses / "parallel" / sub, course / sub)
    state = (course / ".grading" / "ps1.json")
    state.write_text(state.read_text().replace(str(courses / "parallel"), str(course)))
    # resume: nothing changed -> nothing but the corrupt hand-in regraded
    proc = subprocess.run([sys.executable, "-m", "tools.grade_class", "ps1", "--course", str(course),
                           "--workers", "2", "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 unchanged hand-in(s) already graded, skipped" in proc.stdout
    assert "NOT GRADED corrupt/ps1: the notebook file is not valid JSON" in proc.stdout
    assert "reference" in proc.stdout and "40.0 / 40.0" in proc.stdout  # the summary table
    # a changed hand-in is regraded, the other skipped; --force regrades all (not run: slow)
    before = dump(G.default_db_url(course))
    (course / "submitted" / "corrupt").rename(tmp_path / "corrupt")
    ts = course / "submitted" / "mistakes" / "ps1" / "timestamp.txt"
    ts.write_text("2026-11-23 09:30:00.000000 UTC")
    out = G.grade_class(course, "ps1", workers=2, progress=False)
    assert out["graded"] == ["mistakes"] and out["skipped"] == ["reference"] and not out["failed"]
    after = dump(G.default_db_url(course))
    assert after[("mistakes", "ps1")][1].day == 23
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("mistakes", "ps1")}, changed


def test_failed_regrade_keeps_earlier_grades(courses, tmp_path):
    """A resubmission that cannot be graded is reported and changes nothing: the gradebook,
    autograded/ and feedback/ keep the last good grading."""
    course = copy_course(courses / "parallel", tmp_path / "c")
    for sub in ("autograded", "feedback"):
        shutil.copytree(courses / "parallel" / sub, course / sub)
    shutil.rmtree(course / "submitted" / "corrupt")
    before = dump(G.default_db_url(course))
    feedback = (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").read_bytes()
    (course / "submitted" / "reference" / "ps1" / "gradient_descent.ipynb").write_text('{"cells": [')
    out = G.grade_class(course, "ps1", workers=2, progress=False)
    assert set(out["failed"]) == {"reference"} and "not valid JSON" in out["failed"]["reference"]
    assert out["graded"] == ["mistakes"]
    assert dump(G.default_db_url(course)) == before
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").read_bytes() == feedback
    assert (course / "autograded" / "reference" / "ps1" / "gradient_descent.ipynb").exists()


def test_missing_notebook_of_two_is_graded_and_reported(tmp_path):
    """ps2 has two notebooks: a hand-in with one of them is graded (the missing one scores 0,
    as nbgrader does) and the summary says which notebook was missing."""
    course = tmp_path / "c"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / "ps2", course / "source" / "ps2")
    C.release(course, ["ps2"])
    write_submissions(course, ["ps2"], students=("blank",))
    (course / "submitted" / "blank" / "ps2" / "pytorch_basics.ipynb").rename(
        course / "submitted" / "blank" / "ps2" / "pytorch_basic.ipynb")  # a typo in the name
    out = G.grade_class(course, "ps2", workers=1, progress=False)
    assert out["graded"] == ["blank"] and not out["failed"]
    notes = " ".join(out["notes"]["blank"])
    assert "pytorch_basics.ipynb is missing" in notes and "pytorch_basic.ipynb is not part" in notes
    row = next(r for r in out["rows"] if r["student"] == "blank")
    assert row["auto"] == 0 and "pytorch_basics.ipynb is missing" in row["note"]


def test_merge_keeps_manual_grades(courses, tmp_path):
    """Regrading keeps an instructor's manual score, flags the cell for review (as nbgrader does)."""
    from nbgrader.api import Gradebook

    course = courses / "parallel"
    db = tmp_path / "gb.db"
    shutil.copy(course / "gradebook.db", db)
    url = f"sqlite:///{db}"
    data = G.read_submission(url, "dl-ground-up", "ps1", "mistakes")
    with Gradebook(url, "dl-ground-up") as gb:
        g = next(g for nb in gb.find_submission("ps1", "mistakes").notebooks for g in nb.grades
                 if g.auto_score is not None)
        name = g.name
        g.manual_score = 0.5
        gb.find_submission_notebook("gradient_descent", "ps1", "mistakes").flagged = True
        gb.db.commit()
        assert not data["notebooks"]["gradient_descent"]["flagged"]
        G.merge(gb, "ps1", "mistakes", data)
        g = gb.find_grade(name, "gradient_descent", "ps1", "mistakes")
        assert g.manual_score == 0.5 and g.needs_manual_grade and g.score == 0.5
        assert gb.find_submission_notebook("gradient_descent", "ps1", "mistakes").flagged  # kept


# ----------------------------------------------------------- distributed --

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1 (Debian package postgresql): its URL."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    # not under pytest's tmp dir: that one is private to this user, and as
    # root the server runs as the `postgres` user, who must reach its files
    data = Path(tempfile.mkdtemp(prefix="gradebook-pg-")) / "data"
    port = _free_port()
    as_root = os.geteuid() == 0  # the server refuses to run as root: use the postgres user

    def run(*cmd):
        if as_root:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{cmd}: {proc.stdout}{proc.stderr}"

    data.parent.chmod(0o777)
    if as_root:
        shutil.chown(data.parent, "postgres")
    run(initdb, "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8")
    run(pg_ctl, "-D", str(data), "-w", "-l", str(data.parent / "log"),
        "-o", f"'-p {port} -k {data.parent} -c listen_addresses=127.0.0.1'", "start")
    try:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "-d", "postgres",
                        "-c", "CREATE DATABASE gradebook"], check=True, capture_output=True, timeout=60)
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(data.parent, ignore_errors=True)


@pytest.fixture
def dask_cluster(tmp_path):
    """`dask scheduler` and `dask worker` as separate processes on 127.0.0.1: the scheduler address."""
    pytest.importorskip("distributed")
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    logs = [open(tmp_path / "scheduler.log", "w"), open(tmp_path / "worker.log", "w")]
    procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
                              stdout=logs[0], stderr=subprocess.STDOUT, cwd=tmp_path)]
    procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", addr,
                                   "--nworkers", "2", "--nthreads", "1", "--host", "127.0.0.1",
                                   "--dashboard-address", ":0", "--local-directory", str(tmp_path)],
                                  stdout=logs[1], stderr=subprocess.STDOUT, cwd=tmp_path))
    try:
        from distributed import Client
        with Client(addr, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield addr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()


def test_dask_cluster_with_postgres_gradebook(courses, tmp_path, postgres, dask_cluster):
    course = copy_course(courses / "template", tmp_path / "c")
    shutil.rmtree(course / "submitted" / "corrupt")
    (course / "gradebook.db").unlink()  # the gradebook is the PostgreSQL one only
    proc = subprocess.run([sys.executable, "-m", "tools.grade_class", "ps1", "--course", str(course),
                           "--scheduler", dask_cluster, "--db-url", postgres, "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "on Dask cluster" in proc.stdout and "2 workers" in proc.stdout
    assert not (course / "gradebook.db").exists()
    serial = {k: v for k, v in dump(G.default_db_url(courses / "serial")).items() if k[0] in STUDENTS}
    distributed = dump(G.normalise_db_url(postgres))
    assert distributed.keys() == serial.keys()
    diff = {k: (serial[k], distributed[k]) for k in serial if serial[k] != distributed[k]}
    assert not diff, f"Dask + PostgreSQL grading differs from serial nbgrader: {diff}"
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").exists()
    assert "reference" in (course / "grades.csv").read_text()
