"""Hostile and broken hand-ins: every one gets a result, none can cheat its way to points,
none can read hidden tests in its feedback, none can harm the grading machine or its neighbours.

Real `nbgrader autograde` runs with the course's configuration (through the
course's grading command, dlcourse.cli.demo.grade = `make grade`'s grader
dlcourse/grading/run/, which also writes feedback) on a scratch course holding
the hand-ins of tests/grading/hostile.py; the per-cell time limit is cut to TIMEOUT
seconds in that course so the hand-in that ignores SIGINT is quick.  Every ps1
hand-in is graded three times; the hand-ins that patch PyTorch (ps2, ps3) once
with the guard and once without it (plain `nbgrader autograde`).  The hand-ins that attack
the machine (a fork bomb, 200 busy processes, a disk filler, orphans) are each graded in a
class run of their own beside a correct hand-in, whose time is compared with its time alone;
every notebook's reference answers, with warnings sprinkled in, keep full marks.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tests.grading import hostile
from tests.test_pipeline import _hidden_lines, _leaked
from dlcourse import course as C
from dlcourse.grading import tamper
from dlcourse.grading.preprocessors import REDACTED
from dlcourse.authoring.release import release
from dlcourse.cli.demo import grade

pytestmark = pytest.mark.xdist_group("hostile")
TIMEOUT = 10  # seconds per cell in the scratch course (the course's own limit is 180 s)
FLOOR = ("rebinds", "builtins")  # scored against the `wrong` control, test by test
BROKEN = ("dies", "corrupt", "renamed")


@dataclass
class Graded:
    course: Path
    rows: dict            # student -> row of dlcourse.course.grade (total, problem)
    runs: list            # three {student: {test: score}}, one per grading
    points: dict          # test -> max score
    took: float           # seconds of the first grading (autograde + feedback)
    source_before: bytes
    in_gradebook: set     # students with a submission in the gradebook after the first grading


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = C.copy_course(tmp_path_factory.mktemp("hostile"), [hostile.PS])
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Execute.timeout = {TIMEOUT}\nc.Execute.iopub_timeout = 2\n")
    release(course, [hostile.PS])
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        hostile.build(course, port=server.getsockname()[1])
        source_before = (course / "source" / hostile.PS / f"{hostile.NAME}.ipynb").read_bytes()
        t = time.perf_counter()
        rows = {r["student"]: r for r in grade(course, [hostile.PS], progress=False)}
        took = time.perf_counter() - t
        print(f"first grading (autograde + feedback) of {len(hostile.EXPECTED)} hand-ins: {took:.0f}s")
        runs = [hostile.test_scores(course)]
        in_gradebook = set(runs[0])
        for _ in range(2):
            t = time.perf_counter()
            grade(course, [hostile.PS], force=True, progress=False)
            runs.append(hostile.test_scores(course))
            print(f"regrade of {len(hostile.EXPECTED)} hand-ins: {time.perf_counter() - t:.0f}s")
    finally:
        server.close()
    return Graded(course, rows, runs, hostile.max_scores(course), took, source_before, in_gradebook)


@pytest.fixture(scope="module")
def unguarded(graded, tmp_path_factory):
    """The attacking hand-ins graded WITHOUT the guard (a copy of the graded course): their
    attacks must really work there, or the tests of the guard could not fail."""
    course = tmp_path_factory.mktemp("unguarded") / "course"
    others = [p.name for p in (graded.course / "submitted").iterdir() if p.name not in FLOOR]
    shutil.copytree(graded.course, course, ignore=shutil.ignore_patterns("feedback", "autograded", *others))
    C.nbgrader(course, "autograde", hostile.PS, "--force", "--GuardedExecute.guard_helpers=False")
    return hostile.test_scores(course)


@pytest.fixture(scope="module")
def notebooks_graded(tmp_path_factory):
    """Every assignment released once, into three gradebooks graded at the same time (two threads):
    the torch-patching hand-ins (hostile.TORCH_ATTACKS) with the guard ("guarded") and without it
    ("unguarded"), and every notebook's reference answers with warnings sprinkled in
    (hostile.SPRINKLED: ps2/ps3 in the guarded course, the others in "warnings")."""
    root = tmp_path_factory.mktemp("hostile_notebooks")
    course = C.copy_course(root / "guarded")
    names = C.assignments(course)
    release(course, names)
    notebooks = {ps: sorted(p.stem for p in (course / "source" / ps).glob("*.ipynb")) for ps in names}
    torch_ps = list(hostile.TORCH_NOTEBOOKS)
    other_ps = [ps for ps in names if ps not in torch_ps]
    plain, warned = root / "unguarded", root / "warnings"
    shutil.copytree(course, plain)
    shutil.copytree(course, warned)
    for where in (course, plain):
        hostile.build_torch(where)
    hostile.build_sprinkled(course, {ps: notebooks[ps] for ps in torch_ps})
    hostile.build_sprinkled(warned, {ps: notebooks[ps] for ps in other_ps})

    def autograde(where, assignments, *extra) -> float:
        t = time.perf_counter()
        for ps in assignments:
            C.nbgrader(where, "autograde", ps, "--force", *extra)
        return time.perf_counter() - t

    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        guarded = pool.submit(autograde, course, torch_ps)
        unguarded = pool.submit(lambda: (autograde(plain, torch_ps, "--GuardedExecute.guard_helpers=False"),
                                         autograde(warned, other_ps)))
        took = {"guarded": guarded.result(), "unguarded": unguarded.result()[0], "all": time.perf_counter() - t}
    print(f"torch hand-ins ({', '.join(torch_ps)}) graded with the guard (and the sprinkled ones) in "
          f"{took['guarded']:.0f}s, without it in {took['unguarded']:.0f}s; with the sprinkled hand-ins of "
          f"{', '.join(other_ps)}: {took['all']:.0f}s")
    return {"guarded": course, "unguarded": plain, "warnings": warned, "notebooks": notebooks, "took": took}


@pytest.fixture(scope="module")
def torch_graded(notebooks_graded):
    """{"guarded"|"unguarded": {ps: {test: score}}} of the torch-patching hand-ins, the points, the
    guarded course and the seconds the unguarded grading took (the guarded one also graded others)."""
    out = {how: {ps: hostile.test_scores(notebooks_graded[how], ps)[hostile.TORCH_STUDENT]
                 for ps in hostile.TORCH_NOTEBOOKS} for how in ("guarded", "unguarded")}
    points = {ps: hostile.max_scores(notebooks_graded["guarded"], ps) for ps in hostile.TORCH_NOTEBOOKS}
    return {**out, "points": points, "course": notebooks_graded["guarded"], "took": notebooks_graded["took"]["unguarded"]}


def _autograded(graded, student):
    return nbformat.read(graded.course / "autograded" / student / hostile.PS / f"{hostile.NAME}.ipynb",
                         as_version=4)


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _full_marks_except(graded, student, zero):
    scores = graded.runs[0][student]
    assert not graded.rows[student]["problem"], graded.rows[student]["problem"]
    wrong = {t: s for t, s in scores.items() if s != (0 if t in zero else graded.points[t])}
    assert not wrong, f"{student}: unexpected scores {wrong} (expected 0 only for {sorted(zero)})"


def test_leaky_keeps_its_points(graded):
    """Warnings, stderr and 200 000 lines of output cost nothing; rel_error raises, so its tests fail."""
    _full_marks_except(graded, "leaky", {"test_rel_error_visible", "test_rel_error_hidden"})
    size = (graded.course / "autograded" / "leaky" / hostile.PS / f"{hostile.NAME}.ipynb").stat().st_size
    assert size < 5_000_000, f"autograded notebook is {size} bytes: output not truncated"


def test_tampered_tests_are_restored(graded):
    scores = graded.runs[0]["tampered"]
    how = hostile.tamperings(nbformat.read(graded.course / "release" / hostile.PS / f"{hostile.NAME}.ipynb", 4))
    assert set(scores) == set(how) and not graded.rows["tampered"]["problem"]
    wrong = {f"{t} ({how[t]})": s for t, s in scores.items() if s != 0}
    assert not wrong, f"tampered test cells of a blank hand-in scored: {wrong}"


@pytest.mark.parametrize("student", FLOOR)
def test_tampering_with_helpers_does_not_help(graded, student):
    """Per test, the attacking hand-in scores no more than the same wrong answers unpatched."""
    scores, control = graded.runs[0][student], graded.runs[0]["wrong"]
    assert not graded.rows[student]["problem"]
    assert sum(control.values()) < sum(graded.points.values())  # the control does lose points
    gained = {t: (control[t], s) for t, s in scores.items() if s > control[t]}
    assert not gained, f"{student} scored more than the wrong answers alone (wrong, {student}): {gained}"


@pytest.mark.parametrize("student", FLOOR)
def test_attacks_work_without_the_guard(graded, unguarded, student):
    gained = [t for t, s in unguarded[student].items() if s > graded.runs[0]["wrong"][t]]
    assert gained, f"{student}'s attacks gain nothing even unguarded: the test above proves nothing"


def test_tampering_is_scored_zero_where_it_happens(graded):
    """The helpers rebound while numerical_gradient's tests ran: those tests fail, saying why."""
    nb = _autograded(graded, "rebinds")
    for gid in ("test_numerical_gradient_visible", "test_numerical_gradient_hidden"):
        errors = [o for o in _cell(nb, gid).outputs if o.get("output_type") == "error"]
        assert any(o["ename"] == tamper.TAMPERED and "assert_close" in o["evalue"] for o in errors), errors


@pytest.mark.parametrize("test", hostile.TORCH_TARGETS)
def test_torch_attacks_work_without_the_guard(torch_graded, test):
    """Control: unguarded, the patched PyTorch makes the wrong answer pass the test."""
    ps, _ = hostile.TORCH_TARGETS[test]
    got, points = torch_graded["unguarded"][ps][test], torch_graded["points"][ps][test]
    assert got == points > 0, f"{ps} {test}: {got}/{points} without the guard: the attack does not work, " \
                              "so the guarded test below proves nothing"


@pytest.mark.parametrize("test", hostile.TORCH_TARGETS)
def test_torch_attacks_score_zero_with_the_guard(torch_graded, test):
    """Guarded, the same test scores 0: a patch made in an answer cell was undone before the
    test (it fails on its own), a patch made while the test ran is named in a TamperingDetected
    error."""
    ps, how = hostile.TORCH_TARGETS[test]
    assert torch_graded["guarded"][ps][test] == 0
    name = hostile.TORCH_NOTEBOOKS[ps]
    nb = nbformat.read(torch_graded["course"] / "autograded" / hostile.TORCH_STUDENT / ps / f"{name}.ipynb", 4)
    errors = [o for o in _cell(nb, test).outputs if o.get("output_type") == "error"]
    assert errors, f"{test} scored 0 without an error"
    tampered = [o["evalue"] for o in errors if o["ename"] == tamper.TAMPERED]
    if how == hostile.RESTORED:
        assert not tampered, f"{test}: the attack was not undone before the test: {tampered}"
    else:
        assert any(f"changed while this test ran: {how}" in e for e in tampered), (how, errors)


def test_torch_guard_spares_correct_answers(torch_graded):
    """The reference answers in the same hand-ins keep their points under the guard."""
    for ps, tests in hostile.TORCH_UNTOUCHED.items():
        scores, points = torch_graded["guarded"][ps], torch_graded["points"][ps]
        assert {t: scores[t] for t in tests} == {t: points[t] for t in tests}


def test_torch_grading_finishes_in_bounded_time(torch_graded):
    """A bound against hangs, not a benchmark: the machine is shared (measured: 38-45 s on a quiet
    2-core machine with the guarded grading beside it, 335 s at load 15; every cell stuck until its
    time limit would take hours)."""
    assert torch_graded["took"] < 900, f"grading the torch hand-ins took {torch_graded['took']:.0f}s"


def test_escape_attempts_fail(graded):
    """Memory bomb: a MemoryError in its cell (standardize's tests fail), the rest graded.
    Reading source/ or the gradebook, writing the gradebook, the network: all denied."""
    _full_marks_except(graded, "escape", {"test_standardize_visible", "test_standardize_hidden"})
    nb = _autograded(graded, "escape")
    assert [o.get("ename") for o in _cell(nb, "standardize").outputs] == ["MemoryError"]
    loot = (graded.course / "autograded" / "escape" / hostile.PS / "loot.txt").read_text().splitlines()
    reads, writes, net = loot[:4], loot[4:6], loot[6:]
    assert all(r.startswith("DENIED") for r in reads), loot
    # A course under /tmp (as here) has its path inside the kernel's private /tmp: a write may
    # "succeed" there; the real gradebook never sees it.
    assert len(writes) == 2 and all(w == "WROTE" or w.startswith("DENIED") for w in writes), loot
    assert net and net[0].startswith("NO NETWORK"), loot
    assert b"PWNED-BY-STUDENT" not in (graded.course / "gradebook.db").read_bytes()
    with sqlite3.connect(graded.course / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert (graded.course / "source" / hostile.PS / f"{hostile.NAME}.ipynb").read_bytes() == graded.source_before


def test_a_loop_ignoring_sigint_costs_only_its_cell(graded):
    """The tuning cell ignores SIGINT: it is stopped, the kernel restarted, the cells before it
    re-run; only test_tuning (whose variables that cell defined) fails; the hand-in is graded."""
    _full_marks_except(graded, "sigint", {"test_tuning"})
    nb = _autograded(graded, "sigint")
    errors = [o for o in _cell(nb, "tuning").outputs if o.get("output_type") == "error"]
    assert errors and errors[-1]["ename"] == tamper.STUCK and tamper.RESTART_NOTE in errors[-1]["evalue"]
    log = (graded.course / "logs" / f"autograde_{hostile.PS}.log").read_text()
    assert "ignored the interrupt" in log
    assert any("tuning" in f and tamper.RESTART_NOTE in f for f in tamper.review(graded.course, hostile.PS)["sigint"])


def test_locked_cells_are_restored(graded):
    """A deleted locked cell (the provided imports) and an edited one (f redefined, the test
    helpers made no-ops) are restored from the gradebook: the reference answers keep full marks."""
    _full_marks_except(graded, "locked", set())
    nb = _autograded(graded, "locked")
    source = nbformat.read(graded.course / "source" / hostile.PS / f"{hostile.NAME}.ipynb", as_version=4)

    def ids(book):
        return [c.metadata["nbgrader"]["grade_id"] for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id")]

    assert ids(nb) == ids(source), "cells missing or out of order"
    for gid in (hostile.LOCKED_DELETED, hostile.LOCKED_EDITED):
        assert _cell(nb, gid).source == _cell(source, gid).source, f"locked cell {gid} not restored"
    log = (graded.course / "logs" / f"autograde_{hostile.PS}.log").read_text()
    assert f"Missing locked cell {hostile.LOCKED_DELETED} encountered" in log


def test_truncated_output_is_reported(graded):
    """The hand-in that prints 200 000 lines: its output is cut, and the log says so, per cell;
    the grading run's summary notes it on that hand-in's row (recorded by the preprocessor)."""
    log = (graded.course / "logs" / f"autograde_{hostile.PS}.log").read_text()
    lines = [line for line in log.splitlines() if "OUTPUT TRUNCATED" in line]
    assert any(f"OUTPUT TRUNCATED leaky/{hostile.PS}/{hostile.NAME}.ipynb: output of cell "
               f"{hostile.TRUNCATED_CELL} truncated (" in line and "WARNING" in line for line in lines), lines
    note = graded.rows["leaky"]["note"]
    cut = re.search(rf"output of cell {hostile.TRUNCATED_CELL} truncated \((\d+) lines of output", note)
    assert cut and int(cut[1]) >= 200_000, note
    assert "truncated" not in graded.rows["wrong"]["note"] + graded.rows["tampered"]["note"]  # print little


@pytest.mark.parametrize("student,reason", [("corrupt", "not valid JSON"),
                                            ("renamed", "file name"),
                                            ("dies", "kernel died")])
def test_broken_handins_are_reported(graded, student, reason):
    assert reason in graded.rows[student]["problem"]


def test_broken_handins_leave_nothing_in_the_gradebook(graded):
    """The grading command writes nothing of a hand-in it cannot grade to the gradebook, in
    none of the three gradings (plain `nbgrader autograde` creates the submission before it runs
    the notebook, so it would leave an empty one: README), nor a notebook in autograded/."""
    assert not graded.in_gradebook & set(BROKEN), graded.in_gradebook
    assert not [s for run in graded.runs for s in BROKEN if s in run]
    assert set(graded.in_gradebook) == set(hostile.EXPECTED) - set(BROKEN)
    assert not [p for s in BROKEN for p in (graded.course / "autograded" / s).glob("**/*.ipynb")]


def _flat(text: str) -> str:
    return "".join(text.split())


def _shown(text: str, secret: set[str]) -> list[str]:
    """Hidden lines `text` shows as lines, or spread out (one character per line, say)."""
    flat = _flat(text)
    return sorted(set(_leaked(text, secret)) | {line for line in secret if _flat(line) in flat})


def test_feedback_shows_no_hidden_test_line(graded):
    """No hidden-test line in any student's feedback, whatever the hand-in did."""
    secret = _hidden_lines(graded.course / "source" / hostile.PS / f"{hostile.NAME}.ipynb")
    pages = sorted((graded.course / "feedback").glob(f"*/{hostile.PS}/*.html"))
    assert {p.parent.parent.name for p in pages} >= set(hostile.EXPECTED) - {"dies", "corrupt", "renamed"}
    for page in pages:
        leaked = _shown(page.read_text(), secret)
        assert not leaked, f"{page} shows hidden test lines: {leaked[:3]}"
    assert REDACTED in (graded.course / "feedback" / "leaky" / hostile.PS / f"{hostile.NAME}.html").read_text()


@pytest.mark.parametrize("marker", hostile.LEAK_ROUTES)
def test_each_leak_route_really_leaks(graded, marker):
    """Each route really put hidden-test source in the autograded notebook (instructors keep the
    full detail); test_feedback_shows_no_hidden_test_line checks the feedback has none of it."""
    secret = _hidden_lines(graded.course / "source" / hostile.PS / f"{hostile.NAME}.ipynb")
    texts = []
    for cell in _autograded(graded, "leaky").cells:
        for o in hostile.coalesced(cell.get("outputs", [])):  # a print may arrive in pieces
            text = o.get("text") or o.get("evalue") or "".join(o.get("data", {}).get("text/html", ""))
            if marker in text:
                texts.append(text)
    assert texts, f"{marker}: the route printed nothing"
    assert any(_shown(t, secret) for t in texts), \
        f"{marker}: no hidden-test line in what the route printed: the test proves nothing"


def test_files_written_while_grading_stay_out_of_feedback(graded):
    """leaky wrote the hidden tests' source into a file: instructors see it, the student does not."""
    secret = _hidden_lines(graded.course / "source" / hostile.PS / f"{hostile.NAME}.ipynb")
    written = graded.course / "autograded" / "leaky" / hostile.PS / hostile.LEAK_FILE
    assert _leaked(written.read_text(), secret), "the file holds no hidden test line: the test proves nothing"
    assert not (graded.course / "feedback" / "leaky" / hostile.PS / hostile.LEAK_FILE).exists()
    assert not (graded.course / "feedback" / "escape" / hostile.PS / "loot.txt").exists()


def test_feedback_keeps_names_points_and_hints(graded):
    """Hidden tests' hints reach the student: the wrong answers' feedback shows them."""
    page = (graded.course / "feedback" / "wrong" / hostile.PS / f"{hostile.NAME}.html").read_text()
    assert "test_grad_x_f_hidden" in page
    assert "Hint: differentiate every term of f with respect to x" in page


def test_suspicious_handins_are_listed(graded):
    review = tamper.review(graded.course, hostile.PS)
    assert set(review) == {"leaky", "rebinds", "builtins", "escape", "sigint"}, review
    text = "\n".join(review["rebinds"])
    for why in ("rebinds test helper `check`", "touches utils.testing", "touches sys.modules",
                "replaces numpy.allclose", "scored 0"):
        assert why in text, (why, review["rebinds"])
    text = "\n".join(review["builtins"])
    for why in ("touches builtins", "touches the kernel (get_ipython)"):
        assert why in text, (why, review["builtins"])
    log = (graded.course / "logs" / f"autograde_{hostile.PS}.log").read_text()
    assert "SUSPICIOUS rebinds/ps1/gradient_descent.ipynb, review by hand" in log
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gb:
        flagged = {s.student.id for s in gb.find_assignment(hostile.PS).submissions
                   if any(nb.flagged for nb in s.notebooks)}
    assert flagged == set(review)


def test_same_scores_three_times(graded):
    first = graded.runs[0]
    assert set(first) >= set(hostile.EXPECTED) - set(BROKEN)
    for again in graded.runs[1:]:
        assert again == first, {s: (first.get(s), again.get(s)) for s in set(first) | set(again)
                                if first.get(s) != again.get(s)}


def test_grading_finishes_in_bounded_time(graded):
    """A bound against hangs, not a benchmark: the machine is shared (measured: 40 s on a quiet 2-core
    machine for autograde + feedback of the 11 hand-ins, 2 workers; 239 s at load 15; every cell
    stuck until its time limit would take 25 minutes)."""
    assert graded.took < 900, f"grading the hostile hand-ins once took {graded.took:.0f}s"


# --- containment: the caps, graded for real ---------------------------------------------------
CONTAINED_DISK = 64 * 2**20  # the disk cap (its folder; its /tmp) in the containment course


class _Watch(threading.Thread):
    """While a class run grades: the peak disk use of the run (the course folder and the folders
    it creates in the temporary directory) and the most orphan processes alive at once."""

    def __init__(self, course: Path, mark: str):
        super().__init__(daemon=True)
        self.course, self.mark = course, mark
        self.tmp = Path(tempfile.gettempdir())
        self.before = {p.name for p in self.tmp.iterdir()}
        self.start_bytes = self.bytes()
        self.peak, self.orphans, self.left, self.done = 0, 0, 0, threading.Event()

    def bytes(self) -> int:
        roots = [self.course] + [p for p in self.tmp.iterdir() if p.name not in self.before]
        total = 0
        for root in roots:
            for dirpath, _, files in os.walk(root):
                for f in files:
                    try:
                        total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
                    except OSError:
                        pass
        return total

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.bytes() - self.start_bytes)
            self.orphans = max(self.orphans, len(hostile.processes_with(self.mark)))
            self.done.wait(0.25)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join()
        self.left = self.bytes() - self.start_bytes


@dataclass
class Contained:
    course: Path
    rows: dict      # student -> row of the grading command
    seconds: dict   # student -> seconds its grading job took
    disk: dict      # run -> peak bytes the run added to the disk
    kept: dict      # run -> bytes the run left on the disk (its outputs)
    orphans: dict   # run -> most orphan processes seen alive during the run
    left: dict      # run -> orphan processes alive after the run
    got: dict       # attack -> what it got (its line, or the error that ended its cell)

    def neighbour(self, run: str) -> float:
        return self.seconds[f"{hostile.NEIGHBOUR}-{run}"]

    def alone(self) -> float:
        """The neighbour's time alone: the slower of before and after the attacks."""
        return max(self.neighbour("alone"), self.neighbour("alone-after"))


@pytest.fixture(scope="module")
def contained(tmp_path_factory):
    """The attacks of hostile.CONTAINED graded for real, class run by class run (hostile.RUNS, 2
    workers), each beside the reference hand-in; that hand-in also graded alone, before and after."""
    course = C.copy_course(tmp_path_factory.mktemp("contained"), [hostile.PS])
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Execute.timeout = 120\nc.SandboxProvisioner.disk_limit = {CONTAINED_DISK}\n")
    release(course, [hostile.PS])
    mark = f"hostile-orphan-{os.getpid()}-{time.time_ns()}"
    out = Contained(course, {}, {}, {}, {}, {}, {}, {})
    for run in hostile.RUNS:
        hostile.build_contained(course, run, mark)
        with _Watch(course, mark) as watch:
            rows = grade(course, [hostile.PS], workers=2, progress=False)
        out.rows.update({r["student"]: r for r in rows})
        out.disk[run], out.kept[run], out.orphans[run] = watch.peak, watch.left, watch.orphans
        out.left[run] = hostile.processes_with(mark)
    out.seconds = hostile.job_seconds(course)
    for case in hostile.CONTAINED:
        out.got[case] = hostile.contained_line(_autograded_in(course, case), case)
    print(f"\ncontainment (ps1, 2 workers; the neighbour: the reference hand-in graded at the same time); "
          f"the neighbour alone: {out.neighbour('alone'):.1f} s before the attacks, {out.neighbour('alone-after'):.1f} s after")
    for case, tried in hostile.CONTAINED.items():
        run = hostile.run_of(case)
        print(f"  {case}: tried: {tried}\n    got: {out.got[case]}\n    graded in {out.seconds.get(case, 0):.1f} s; "
              f"beside it ({run}) the neighbour took {out.neighbour(run):.1f} s ({out.neighbour(run) / out.alone():.2f}x "
              f"its time alone); the run's disk: peak {out.disk[run] / 2**20:.1f} MiB, left "
              f"{out.kept[run] / 2**20:.1f} MiB")
    return out


def _autograded_in(course: Path, student: str):
    return nbformat.read(course / "autograded" / student / hostile.PS / f"{hostile.NAME}.ipynb", as_version=4)


@pytest.mark.parametrize("run", hostile.RUNS)
def test_the_neighbour_is_graded_in_full(contained, run):
    row = contained.rows[f"{hostile.NEIGHBOUR}-{run}"]
    assert not row["problem"] and row["auto"] == row["auto_max"] > 0, row


@pytest.mark.parametrize("case", ["busy", "forkbomb"])
def test_the_neighbour_keeps_its_pace(contained, case):
    """Graded beside 200 busy processes or a fork bomb (capped at one core and 256 tasks), the
    neighbour takes at most 1.5x its time alone (the slower of its two times alone: the
    machine is shared)."""
    alone, took = contained.alone(), contained.neighbour(case)
    assert took <= 1.5 * alone, f"the neighbour took {took:.1f}s beside {case}, {alone:.1f}s alone"


def test_busy_processes_share_one_core(contained):
    """The 200 processes ran, and all of them together got about one core (cpu_limit)."""
    got = contained.got["busy"]
    cores = float(got.split(" used ")[1].split()[0])
    assert got.startswith("CONTAINED busy: 200 busy processes") and 0.05 < cores < 1.3, got
    _graded_with_its_points(contained, "busy")


def test_a_fork_bomb_is_bounded(contained):
    """The bomb fills its task cap and no further: a new process is refused meanwhile, the
    sandbox never holds 256 processes, the hand-in is graded with its points and the machine goes on."""
    got = contained.got["forkbomb"]
    most = int(got.split("at most ")[1].split()[0])
    assert 100 < most < 256 and "BlockingIOError" in got, got
    _graded_with_its_points(contained, "forkbomb")


def test_a_disk_filler_fills_only_its_cap(contained):
    """/tmp and its folder each refuse writes past the cap (OSError, ENOSPC, in its own cell: the
    cell's answer was defined before, so it keeps its points); the file comes back capped; the
    run's disk use stays under the cap plus its normal outputs (what the run leaves besides the
    filler's file, and a job's scratch course per worker)."""
    got = contained.got["filler"]
    assert got.count("No space left on device") == 2 and "OSError" in got, got
    _graded_with_its_points(contained, "filler")
    written = (contained.course / "autograded" / "filler" / hostile.PS / "filler.bin").stat().st_size
    assert CONTAINED_DISK - 4 * 2**20 <= written <= CONTAINED_DISK
    run = hostile.run_of("filler")
    normal = contained.kept[run] - written + 2 * contained.disk["alone"]
    assert contained.disk[run] <= CONTAINED_DISK + normal + 2**20, (contained.disk[run], CONTAINED_DISK, normal)


def test_orphans_end_with_their_grading(contained):
    """The double-forked orphan and the new-session process ran while the hand-in was graded, and
    no process of theirs is left after any run."""
    assert contained.got["orphan"] == "CONTAINED orphan: started"
    assert contained.orphans[hostile.run_of("orphan")] == 2, contained.orphans
    assert not [pids for pids in contained.left.values() if pids], contained.left
    _graded_with_its_points(contained, "orphan")


def _graded_with_its_points(contained, case):
    row = contained.rows[case]
    assert not row["problem"] and row["auto"] == row["auto_max"] > 0, row


# --- warnings never cost points (#13) -----------------------------------------------------------
@pytest.fixture(scope="module")
def sprinkled(notebooks_graded):
    """{ps: {test: (score, points)}} of the hand-in with warnings sprinkled into every answer."""
    out = {}
    for ps in notebooks_graded["notebooks"]:
        where = notebooks_graded["guarded" if ps in hostile.TORCH_NOTEBOOKS else "warnings"]
        points = hostile.max_scores(where, ps)
        out[ps] = {test: (score, points[test]) for test, score in hostile.test_scores(where, ps)[hostile.SPRINKLED].items()}
    return out


def test_warnings_never_cost_points(sprinkled):
    """UserWarning (torch's "To copy construct from a tensor"), DeprecationWarning and FutureWarning
    at the top of every answer and every function it defines, in every notebook: full marks."""
    lost = {f"{ps} {test}": f"{score}/{points}" for ps, tests in sprinkled.items()
            for test, (score, points) in tests.items() if score != points}
    assert not lost, f"warnings cost points in: {lost}"
