"""Class grading spread over machines: a Dask scheduler and workers started as separate processes
on 127.0.0.1, and a throwaway PostgreSQL server as the gradebook (skipped only with
COURSE_SKIP_POSTGRES=1: `make test` installs PostgreSQL, so a missing server fails)."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dlcourse.grading.run.gradebook import normalise_db_url
from tests.grading.run.shared import GROUP, ROOT, STUDENTS, copy_course, db, dump, graded_course

pytestmark = pytest.mark.xdist_group(GROUP)


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    return graded_course(tmp_path_factory)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1 (Debian package postgresql): its URL.

    `make test` installs PostgreSQL (scripts/setup_system.sh): a missing server is an error,
    skipped only where COURSE_SKIP_POSTGRES=1 says so."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        why = "PostgreSQL is not installed: `make setup-system` installs it (Debian package postgresql)"
        if os.environ.get("COURSE_SKIP_POSTGRES", "") not in ("", "0"):
            pytest.skip(why)
        pytest.fail(f"{why}; COURSE_SKIP_POSTGRES=1 skips the PostgreSQL gradebook test", pytrace=False)
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
    proc = subprocess.run([sys.executable, "-m", "dlcourse", "grade", "ps1", "--course", str(course),
                           "--scheduler", dask_cluster, "--db-url", postgres, "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "on Dask cluster" in proc.stdout and "2 workers" in proc.stdout
    assert not (course / "gradebook.db").exists()
    serial = {k: v for k, v in dump(db(courses / "serial")).items() if k[0] in STUDENTS}
    distributed = dump(normalise_db_url(postgres))
    assert distributed.keys() == serial.keys()
    diff = {k: (serial[k], distributed[k]) for k in serial if serial[k] != distributed[k]}
    assert not diff, f"Dask + PostgreSQL grading differs from serial nbgrader: {diff}"
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").exists()
    assert "reference" in (course / "grades.csv").read_text()
