"""Bad input stops class grading before anything is graded, in one line (dlcourse/grading/run/checks.py)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from dlcourse import course as C
from dlcourse.grading import run as G
from dlcourse.grading.run.checks import check_sandbox
from tests.grading.run.shared import ROOT, grade_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def bad_input_course(tmp_path_factory):
    """ps1's source and configuration and one hand-in folder: enough to reach every check."""
    course = C.copy_course(tmp_path_factory.mktemp("bad-input"), ["ps1"])
    handin = course / "submitted" / "someone" / "ps1"
    handin.mkdir(parents=True)
    (handin / "gradient_descent.ipynb").write_text("{}")
    return course


@pytest.mark.parametrize("args,reason", [
    (["--workers", "0"], "--workers must be 1 or more (got 0)"),
    (["--workers", "-3"], "--workers must be 1 or more (got -3)"),
    (["--scheduler", "tcp://127.0.0.1:{port}"], "cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: "),
    (["--scheduler", "http://"], "'http://' is not a Dask scheduler address"),
    (["--db-url", "postgresql://nobody:secret@127.0.0.1:{port}/x"],
     "cannot open the gradebook postgresql://nobody:***@127.0.0.1:{port}/x: connection to server"),
    (["--db-url", "not a url"], "--db-url 'not a url' is not a database URL"),
], ids=["workers-0", "workers-negative", "scheduler-unreachable", "scheduler-unparsable",
        "db-unreachable", "db-unparsable"])
def test_bad_input_is_one_line(bad_input_course, args, reason):
    port = str(_free_port())  # nothing listens there
    proc = grade_cli(bad_input_course, *[a.replace("{port}", port) for a in args])
    _one_line_error(proc, reason.replace("{port}", port))


def _one_line_error(proc, reason: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr saying why (no password shown)."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grade_class: ") and not proc.stdout, proc.stdout + proc.stderr
    assert reason in lines[0] and "secret" not in lines[0], lines[0]


def test_unknown_assignment_and_no_handins(bad_input_course, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dlcourse", "grade", "ps9", "--course", str(bad_input_course)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    _one_line_error(proc, "unknown assignment(s) ps9; this course has ps1")
    empty = C.copy_course(tmp_path / "empty", ["ps1"])
    proc = grade_cli(empty)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == f"ps1: no hand-ins under {empty / 'submitted'}/*/ps1/: nothing to grade"


def test_no_sandbox_stops_before_grading(bad_input_course, tmp_path, monkeypatch):
    """Without a sandbox every hand-in would fail the same way: one message, nothing graded --
    unless unsandboxed grading is allowed.  The check starts a kernel exactly as the jobs do
    (sandbox.probe_kernel), so where it passes, kernels start."""
    course = tmp_path / "c"
    shutil.copytree(bad_input_course, course)
    cfg = course / "nbgrader_config.py"
    cfg.write_text(cfg.read_text() + '\nc.SandboxProvisioner.bwrap = "bwrap-not-installed"\n')
    env = {k: v for k, v in os.environ.items() if k != "COURSE_ALLOW_UNSANDBOXED"}
    proc = grade_cli(course, env=env)
    _one_line_error(proc, "cannot sandbox student code here: 'bwrap-not-installed' not found")
    assert "COURSE_ALLOW_UNSANDBOXED=1" in proc.stderr
    assert not (course / "autograded").exists() and not (course / ".grading").exists()
    monkeypatch.delenv("COURSE_ALLOW_UNSANDBOXED", raising=False)
    with pytest.raises(G.GradingError):
        check_sandbox(course)
    monkeypatch.setenv("COURSE_ALLOW_UNSANDBOXED", "1")
    check_sandbox(course)  # allowed: no error (the kernel starts unsandboxed)
    monkeypatch.delenv("COURSE_ALLOW_UNSANDBOXED")
    check_sandbox(bad_input_course)  # bubblewrap works here (make setup-system installs it)
