"""A grader stopped at any moment loses nothing and writes nothing by halves (issue 16).

One class of 12 ps1 hand-ins is graded by `dlcourse grade` (what `make grade` runs), stopped
again and again: Ctrl-C, SIGTERM, SIGKILL of the whole process group at random moments (the
machine losing power), SIGKILL of the grader alone (its workers and kernels must die with it),
and a worker killed in the middle of a hand-in.  After every stop the gradebook holds only
whole hand-ins, each equal to serial nbgrader's grading; the last run finishes the class, and
then every hand-in is in the gradebook exactly once with serial nbgrader's rows.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.grading.run.shared import GROUP, ROOT, STUDENTS, copy_course, db, dump, graded_course

pytestmark = pytest.mark.xdist_group(GROUP)
COPIES = 6  # of each of reference and mistakes: 12 hand-ins


def _processes() -> dict[int, tuple[int, int, str]]:
    """{pid: (parent pid, session id, command line)} of the live processes (zombies aside)."""
    out = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z":
            out[int(proc.name)] = (int(fields[1]), int(fields[3]), cmd)
    return out


def _left_behind(grader: int, tmp: Path) -> list[str]:
    """Processes of the grader's session, or started with files under its TMPDIR (kernels,
    which the sandbox starts in sessions of their own)."""
    return [f"{pid} {cmd[:120]}" for pid, (_, sid, cmd) in _processes().items()
            if sid == grader or str(tmp) in cmd]


class Grader:
    """`dlcourse grade ps1` on the course, with 2 workers, its output and TMPDIR in `tmp`."""

    def __init__(self, course: Path, tmp: Path):
        self.course, self.tmp = course, tmp
        self.state = course / ".grading" / "ps1.json"
        cmd = [sys.executable, "-m", "dlcourse", "grade", "ps1", "--course", str(course), "--workers", "2",
               "--no-progress", "--no-report"]
        with open(tmp / "out.txt", "w") as out, open(tmp / "err.txt", "w") as err:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, text=True, start_new_session=True,
                                         env=dict(os.environ, TMPDIR=str(tmp)))
        self.started = time.monotonic()

    def recorded(self) -> set[str]:
        return set(json.loads(self.state.read_text())["handins"]) if self.state.exists() else set()

    def wait_until(self, done, what: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert self.proc.poll() is None, f"grading ended before {what}: {self.output()}"
            assert time.monotonic() < deadline, f"no {what} in {timeout} s"
            time.sleep(0.05)

    def workers_mid_handin(self) -> list[int]:
        """The grader's worker processes that are running a kernel."""
        procs = _processes()
        workers = [pid for pid, (ppid, _, cmd) in procs.items() if ppid == self.proc.pid and "spawn_main" in cmd]
        return [w for w in workers if any(ppid == w for ppid, _, _ in procs.values())]

    def finish(self, timeout: float = 900) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while _left_behind(self.proc.pid, self.tmp) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert not _left_behind(self.proc.pid, self.tmp), \
                f"the grader left processes running: {_left_behind(self.proc.pid, self.tmp)}"

    def output(self) -> str:
        return (self.tmp / "out.txt").read_text() + (self.tmp / "err.txt").read_text()


def test_interrupted_and_killed_graders_resume_to_serial_grades(tmp_path_factory, tmp_path):
    courses = graded_course(tmp_path_factory)
    course = copy_course(courses / "template", tmp_path / "c")
    shutil.rmtree(course / "submitted" / "corrupt")
    for s in STUDENTS:
        for i in range(2, COPIES + 1):
            shutil.copytree(course / "submitted" / s, course / "submitted" / f"{s}{i}")
    everyone = {p.name for p in (course / "submitted").iterdir()}
    assert len(everyone) == 2 * COPIES
    serial = dump(db(courses / "serial"))
    expected = {(s, *k[1:]): v for s in everyone for k, v in serial.items() if k[0] == s.rstrip("0123456789")}
    seed = int(os.environ.get("COURSE_KILL_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="gk-"))  # short: the kernels' unix sockets live there

    def whole(after: str) -> set[str]:
        """The gradebook holds whole hand-ins only, each as serial nbgrader graded it; each once."""
        rows = dump(db(course))
        students = {k[0] for k in rows}
        assert rows == {k: v for k, v in expected.items() if k[0] in students}, f"{after} (seed {seed})"
        with sqlite3.connect(course / "gradebook.db") as con:
            counts = con.execute("SELECT COUNT(*) FROM submitted_assignment GROUP BY student_id").fetchall()
        assert all(n == 1 for (n,) in counts), f"{after}: a hand-in twice in the gradebook"
        return students

    try:
        # Ctrl-C (the whole process group, as in a terminal), then SIGTERM to the grader alone,
        # each once a hand-in is recorded: exit 130, the recorded hand-ins kept, nothing more
        for sig, whole_group in ((signal.SIGINT, True), (signal.SIGTERM, False)):
            g = Grader(course, tmp)
            before = g.recorded()
            g.wait_until(lambda: g.recorded() - before, "hand-in recorded")
            (os.killpg if whole_group else os.kill)(g.proc.pid, sig)
            assert g.finish() == 130, g.output()
            assert "interrupted after grading" in g.output() and "Traceback" not in g.output(), g.output()
            assert whole(f"after {sig.name}") == g.recorded() > before
        # SIGKILL of everything at random moments: from the start-up to the middle of a merge
        for n in range(2):
            g = Grader(course, tmp)
            delay = rng.uniform(0.5, 15)
            g.wait_until(lambda: time.monotonic() - g.started > delay, f"{delay:.1f} s of grading")
            os.killpg(g.proc.pid, signal.SIGKILL)
            g.finish()
            assert whole(f"after SIGKILL {n + 1} at {delay:.1f} s") >= g.recorded()
        # SIGKILL of the grader alone: its workers and their kernels die with it (Grader.finish)
        g = Grader(course, tmp)
        before = g.recorded()
        g.wait_until(lambda: g.recorded() - before, "hand-in recorded")
        os.kill(g.proc.pid, signal.SIGKILL)
        g.finish()
        assert whole("after SIGKILL of the grader") >= g.recorded()
        # the last run finishes the class, though a worker dies in the middle of a hand-in
        g = Grader(course, tmp)
        assert len(everyone - g.recorded()) >= 2, "nothing left for the last run"
        g.wait_until(g.workers_mid_handin, "worker grading a hand-in")
        os.kill(g.workers_mid_handin()[0], signal.SIGKILL)
        assert g.finish() == 0, g.output()
        assert "the grading worker died while grading it; grading it again" in g.output()
        assert whole("in the end") == everyone and g.recorded() == everyone
        assert not list(tmp.glob("dlcourse-grade-*")), f"scratch courses left behind: {list(tmp.iterdir())}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
