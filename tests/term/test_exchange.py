"""The shared-server route, for real: nbgrader's exchange between the course and two student
home folders on one machine, as nbgrader runs on a JupyterHub.

release_assignment -> each home fetch_assignment -> bob submits twice (blank, then his work),
alice submits after the due date -> collect -> `dlcourse grade` (due date from the course
config, late policy) -> release_feedback -> each home fetch_feedback.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dlcourse.authoring.examples import make_handin
from tests.term.test_collect import _course

ROOT = Path(__file__).resolve().parents[2]
COURSE_ID = "dl-ground-up"
pytestmark = pytest.mark.xdist_group("term")


def _nbgrader(cwd: Path, env: dict, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return proc.stdout + proc.stderr


def _home(tmp: Path, student: str, exchange: Path) -> tuple[Path, dict]:
    home = tmp / "home" / student
    home.mkdir(parents=True)
    (home / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.Exchange.path_includes_course = True\n"
        f"c.CourseDirectory.student_id = {student!r}   # on a hub: the user's login name\n")
    env = dict(os.environ, HOME=str(home), NBGRADER_EXCHANGE=str(exchange),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    env.pop("JUPYTER_CONFIG_DIR", None)
    return home, env


def _work(home: Path, kind: str) -> None:
    """The student's answers in the fetched notebook: the released one as is, or filled in."""
    nb_path = home / COURSE_ID / "ps1" / "gradient_descent.ipynb"
    nb = make_handin(kind, ROOT / "release" / "ps1" / "gradient_descent.ipynb",
                     ROOT / "source" / "ps1" / "gradient_descent.ipynb")
    nbformat.write(nb, nb_path)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exchange")
    course = _course(tmp / "course")
    exchange = tmp / "exchange"
    exchange.mkdir()
    env = dict(os.environ, NBGRADER_EXCHANGE=str(exchange),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    _nbgrader(course, env, "generate_assignment", "ps1", "--force")
    _nbgrader(course, env, "release_assignment", "ps1")
    homes = {s: _home(tmp, s, exchange) for s in ("alice", "bob")}
    for student, (home, henv) in homes.items():
        _nbgrader(home, henv, "fetch_assignment", "ps1")
    bob, benv = homes["bob"]
    _nbgrader(bob, benv, "submit", "ps1")                     # first: the blank notebook
    time.sleep(1.1)
    _work(bob, "reference")
    _nbgrader(bob, benv, "submit", "ps1")                     # again: his work
    due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f'\nc.Term.due_dates = {{"ps1": "{due:%Y-%m-%d %H:%M:%S} UTC"}}\n'
                 "c.PercentPerStartedDay.grace_minutes = 0\n")
    time.sleep(2.5)
    alice, aenv = homes["alice"]
    _work(alice, "reference")
    _nbgrader(alice, aenv, "submit", "ps1")                   # after the due date
    _nbgrader(course, env, "collect", "ps1")
    proc = subprocess.run([sys.executable, "-m", "dlcourse", "grade", "ps1", "--course", str(course),
                           "--no-progress"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    _nbgrader(course, env, "release_feedback", "ps1")
    for student, (home, henv) in homes.items():
        _nbgrader(home, henv, "fetch_feedback", "ps1")
    return course, homes, proc.stdout


def test_collect_takes_each_students_last_submission(term):
    course, _, _ = term
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "bob"]
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        subs = {s.student.id: s for s in gb.find_assignment("ps1").submissions}
        auto = {sid: sum(n.score for n in s.notebooks) for sid, s in subs.items()}
        late = {sid: s.total_seconds_late for sid, s in subs.items()}
        penalty = {sid: sum(n.late_submission_penalty or 0 for n in s.notebooks) for sid, s in subs.items()}
    assert auto["bob"] == pytest.approx(auto["alice"]) and auto["bob"] > 0   # bob's second submission was graded
    assert late["bob"] == 0 and penalty["bob"] == 0
    assert late["alice"] > 0 and penalty["alice"] == pytest.approx(0.1 * auto["alice"])


def test_each_home_fetches_its_feedback(term):
    _, homes, _ = term
    for student, (home, _) in homes.items():
        pages = list((home / COURSE_ID / "ps1" / "feedback").glob("*/gradient_descent.html"))
        assert len(pages) == 1, f"{student}: {pages}"
        text = pages[0].read_text()
        assert "Test" in text or "test" in text
        assert "BEGIN HIDDEN TESTS" not in text
