"""Parallel grading (dlcourse/grading/run.py) against serial `nbgrader autograde`, for real.

One scratch course with ps1 released and a few hand-ins (reference, typical
mistakes, a corrupt file) is graded twice: serially by plain nbgrader (one
`nbgrader autograde`, `generate_feedback`) and in parallel by dlcourse.grading.run.
Every grade, comment and submission row of the two gradebooks must be identical.
Then: resume (unchanged hand-ins are skipped, also after a real Ctrl-C or
SIGTERM), --force, the progress bar and default workers, one-line errors for bad
input, the sandbox probe, `make grade` itself, and the distributed set-up: a
Dask scheduler and workers started as separate processes on 127.0.0.1, and a
throwaway PostgreSQL server as the gradebook (skipped only with
COURSE_SKIP_POSTGRES=1: `make test` installs PostgreSQL, so a missing server fails).
"""
from __future__ import annotations

import csv
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dlcourse import course as C
from dlcourse.grading import run as G
from dlcourse.authoring.examples import write_submissions
from dlcourse.grading.scores import scores
from dlcourse.authoring.release import release

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("grade_class")
STUDENTS = ("reference", "mistakes")


def make_course(path: Path) -> Path:
    """A course with ps1 released and hand-ins: reference, mistakes and a corrupt notebook."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    shutil.copytree(ROOT / "source" / "ps1", path / "source" / "ps1")
    release(path, ["ps1"])
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
    """A course graded by dlcourse.grading.run, built once per test process (tests/grading/test_report.py uses it too)."""
    base = tmp_path_factory.getbasetemp() / "grade_class_shared"
    if not (base / ".done").exists():
        if base.exists():
            shutil.rmtree(base)
        make_course(base / "template")
        copy_course(base / "template", base / "serial")
        copy_course(base / "template", base / "parallel")
        # the serial reference: plain nbgrader, one hand-in after another
        C.nbgrader(base / "serial", "autograde", "ps1", "--force", check=False)
        C.nbgrader(base / "serial", "generate_feedback", "ps1", "--force", check=False)
        G.grade_class(base / "parallel", "ps1", workers=2, progress=False)
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
    rows = {r["student"]: r for r in scores(course)}
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
    log = (course / "logs" / "autograde_ps1.log").read_text()
    assert "NotJSONError" in log


def graded_copy(courses: Path, dest: Path, keep=None) -> Path:
    """A copy of the graded parallel course, grading state included (hand-ins of `keep` only)."""
    course = copy_course(courses / "parallel", dest)
    for sub in ("autograded", "feedback", ".grading"):
        shutil.copytree(courses / "parallel" / sub, course / sub)
    state = course / ".grading" / "ps1.json"
    state.write_text(state.read_text().replace(str(courses / "parallel"), str(course)))
    for folder in (course / "submitted").iterdir():
        if keep is not None and folder.name not in keep:
            shutil.rmtree(folder)
    return course


def grade_cli(course: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlcourse", "grade", "ps1", "--course", str(course), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)


def test_cli_resumes_and_regrades_only_changed(courses, tmp_path):
    course = graded_copy(courses, tmp_path / "c")
    # resume: nothing changed -> nothing but the corrupt hand-in regraded
    proc = grade_cli(course, "--workers", "2", "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 unchanged hand-in(s) already graded, skipped" in proc.stdout
    assert "NOT GRADED corrupt/ps1: the notebook file is not valid JSON" in proc.stdout
    assert "reference" in proc.stdout and "40.0 / 40.0" in proc.stdout  # the summary table
    # a changed hand-in is regraded, the other skipped (--force: test_force_regrades_unchanged_handin)
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
    course = graded_copy(courses, tmp_path / "c", keep=STUDENTS)
    before = dump(G.default_db_url(course))
    feedback = (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").read_bytes()
    (course / "submitted" / "reference" / "ps1" / "gradient_descent.ipynb").write_text('{"cells": [')
    out = G.grade_class(course, "ps1", workers=2, progress=False)
    assert set(out["failed"]) == {"reference"} and "not valid JSON" in out["failed"]["reference"]
    assert out["graded"] == [] and out["skipped"] == ["mistakes"]
    assert dump(G.default_db_url(course)) == before
    row = next(r for r in out["rows"] if r["student"] == "reference")  # the table says why
    assert "not valid JSON" in row["problem"] and row["auto"] == 40
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").read_bytes() == feedback
    assert (course / "autograded" / "reference" / "ps1" / "gradient_descent.ipynb").exists()


def test_missing_notebook_of_two_is_graded_and_reported(tmp_path):
    """ps2 has two notebooks: a hand-in with one of them is graded (the missing one scores 0,
    as nbgrader does) and the summary says which notebook was missing -- and which cell's
    output was cut short (c.LimitOutput.max_lines)."""
    import nbformat

    course = tmp_path / "c"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / "ps2", course / "source" / "ps2")
    release(course, ["ps2"])
    write_submissions(course, ["ps2"], students=("blank",))
    (course / "submitted" / "blank" / "ps2" / "pytorch_basics.ipynb").rename(
        course / "submitted" / "blank" / "ps2" / "pytorch_basic.ipynb")  # a typo in the name
    path = course / "submitted" / "blank" / "ps2" / "building_blocks.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell("for i in range(1500):\n    print(i)"))  # a chatty cell
    nbformat.write(nb, path)
    out = G.grade_class(course, "ps2", workers=1, progress=False)
    assert out["graded"] == ["blank"] and not out["failed"]
    notes = " ".join(out["notes"]["blank"])
    assert "pytorch_basics.ipynb is missing" in notes and "pytorch_basic.ipynb is not part" in notes
    assert "building_blocks.ipynb: output of cell #1 truncated (1500 lines of output, 1000 kept)" in notes, notes
    row = next(r for r in out["rows"] if r["student"] == "blank")
    assert row["auto"] == 0 and "pytorch_basics.ipynb is missing" in row["note"] and "truncated" in row["note"]


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


def test_force_regrades_unchanged_handin_with_progress_bar(courses, tmp_path):
    """An unchanged hand-in is skipped; --force grades it again (same grades, new grading).
    Without --no-progress a progress bar over hand-ins goes to stderr."""
    course = graded_copy(courses, tmp_path / "c", keep=("reference",))
    state = course / ".grading" / "ps1.json"
    first = json.loads(state.read_text())["handins"]["reference"]
    out = G.grade_class(course, "ps1", progress=False)
    assert out["skipped"] == ["reference"] and not out["graded"]
    before = dump(G.default_db_url(course))
    (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").unlink()
    proc = grade_cli(course, "--force", "--no-report")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "grading 1 hand-in(s) on 1 local worker(s)" in proc.stdout
    assert "graded 1, skipped 0, not graded 0 of 1 hand-ins" in proc.stdout
    assert re.search(r"grading ps1: +100%\|.*\| 1/1 \[", proc.stderr), proc.stderr[-2000:]
    again = json.loads(state.read_text())["handins"]["reference"]
    assert again["hash"] == first["hash"] and again["graded_at"] > first["graded_at"]
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").exists()
    assert dump(G.default_db_url(course)) == before


def test_default_workers_is_one_per_core():
    """The rule; the CLI's use of it: test_resume_after_real_interruptions, test_make_grade."""
    assert G.default_workers() == os.cpu_count()


def _session(sid: int) -> list[int]:
    """Live processes (zombies aside) of session `sid`."""
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            out.append(int(stat.split("/")[2]))
    return out


def _interrupt_after_next(course: Path, sig: int, whole_group: bool) -> tuple[subprocess.CompletedProcess, set]:
    """Start grading with one worker; as soon as one more hand-in is recorded, send `sig` to the
    grader (whole_group: to its process group, as Ctrl-C in a terminal does)."""
    state = course / ".grading" / "ps1.json"
    load = lambda: json.loads(state.read_text()) if state.exists() else {"handins": {}, "failed": {}}  # noqa: E731
    recorded = lambda: set(load()["handins"])  # noqa: E731
    before = recorded()
    cmd = [sys.executable, "-m", "dlcourse", "grade", "ps1", "--course", str(course), "--workers", "1",
           "--no-progress", "--no-report"]
    # the grader's scratch courses go here, removed however it stops (a short path: the kernels'
    # unix sockets live there too); its output to files (a pipe nobody reads could fill up)
    tmp = Path(tempfile.mkdtemp(prefix="gc-"))
    try:
        with open(tmp / "out.txt", "w") as out, open(tmp / "err.txt", "w") as err:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, text=True, start_new_session=True,
                                    env=dict(os.environ, TMPDIR=str(tmp)))
        try:
            deadline = time.monotonic() + 600
            while not recorded() - before:
                assert proc.poll() is None, "grading ended before a hand-in was recorded: " + \
                    (tmp / "err.txt").read_text()
                assert not load()["failed"], load()["failed"]
                assert time.monotonic() < deadline, "no hand-in graded in 10 minutes"
                time.sleep(0.1)
            (os.killpg if whole_group else os.kill)(proc.pid, sig)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _session(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _session(proc.pid), "the interrupted grader left processes running"
        assert not list(tmp.glob("grade*")), f"scratch courses left behind: {list(tmp.iterdir())}"
        out, err = (tmp / "out.txt").read_text(), (tmp / "err.txt").read_text()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), recorded()


def test_resume_after_real_interruptions(courses, tmp_path):
    """Ctrl-C (SIGINT to the process group), then SIGTERM to the grader alone, each after a
    hand-in was recorded: the graded hand-ins are kept whole, the next run skips them and grades
    the rest; in the end every grade equals the uninterrupted run's."""
    course = copy_course(courses / "template", tmp_path / "c")
    shutil.rmtree(course / "submitted" / "corrupt")
    for s in STUDENTS:  # four hand-ins: reference, mistakes and a copy of each
        shutil.copytree(course / "submitted" / s, course / "submitted" / f"{s}2")
    uninterrupted = dump(G.default_db_url(courses / "parallel"))
    db = G.default_db_url(course)

    def expected(students):  # the uninterrupted run's rows, under each copy's name too
        return {(s, *k[1:]): v for s in students for k, v in uninterrupted.items() if k[0] == s.removesuffix("2")}

    def consistent(graded):
        """The gradebook holds the recorded hand-ins, each complete and as graded uninterrupted."""
        rows = dump(db)
        assert {k[0] for k in rows} == graded
        assert rows == expected(graded)

    proc, graded = _interrupt_after_next(course, signal.SIGINT, whole_group=True)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "interrupted after grading" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert 1 <= len(graded) < 4
    consistent(graded)

    proc, graded2 = _interrupt_after_next(course, signal.SIGTERM, whole_group=False)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert f"{len(graded)} unchanged hand-in(s) already graded, skipped" in proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert graded < graded2 and len(graded2) < 4
    consistent(graded2)

    proc = grade_cli(course, "--no-progress", "--no-report")  # default workers: one per core
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rest = 4 - len(graded2)
    assert f"{len(graded2)} unchanged hand-in(s) already graded, skipped" in proc.stdout
    assert f"grading {rest} hand-in(s) on {min(os.cpu_count(), 4)} local worker(s)" in proc.stdout
    assert f"graded {rest}, skipped {len(graded2)}, not graded 0 of 4" in proc.stdout
    consistent({"reference", "mistakes", "reference2", "mistakes2"})


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
    unless unsandboxed grading is allowed (environment or configuration)."""
    course = tmp_path / "c"
    shutil.copytree(bad_input_course, course)
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + '\nc.SandboxedKernelManager.bwrap = "bwrap-not-installed"\n')
    env = {k: v for k, v in os.environ.items() if k != "COURSE_ALLOW_UNSANDBOXED"}
    proc = grade_cli(course, env=env)
    _one_line_error(proc, "cannot sandbox student code here: 'bwrap-not-installed' not found")
    assert "COURSE_ALLOW_UNSANDBOXED=1" in proc.stderr
    assert not (course / "autograded").exists() and not (course / ".grading").exists()
    monkeypatch.delenv("COURSE_ALLOW_UNSANDBOXED", raising=False)
    with pytest.raises(G.GradingError):
        G.check_sandbox(course)
    monkeypatch.setenv("COURSE_ALLOW_UNSANDBOXED", "1")
    G.check_sandbox(course)  # allowed: no error
    monkeypatch.delenv("COURSE_ALLOW_UNSANDBOXED")
    config.write_text(config.read_text() + "c.SandboxedKernelManager.allow_unsandboxed = True\n")
    G.check_sandbox(course)
    G.check_sandbox(bad_input_course)  # bubblewrap works here (make setup-system installs it)


def test_make_grade(courses, tmp_path):
    """`make grade ps=ps1` (course=DIR: a scratch course) grades, writes grades.csv and the report."""
    course = copy_course(courses / "template", tmp_path / "c")
    shutil.rmtree(course / "submitted" / "corrupt")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "grade", "ps=ps1", f"course={course}"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"grading 2 hand-in(s) on {min(os.cpu_count(), 2)} local worker(s)" in proc.stdout
    with open(course / "grades.csv") as f:
        assert {r["student_id"] for r in csv.DictReader(f)} == set(STUDENTS)
    assert (course / "reports" / "ps1" / "index.html").exists()
    assert f"class report: {course / 'reports' / 'ps1' / 'index.html'}" in proc.stdout
    assert (course / "feedback" / "mistakes" / "ps1" / "gradient_descent.html").exists()


# -------------------------------------------------------------- benchmark --

def test_bench_exit_status_follows_the_goals(monkeypatch, tmp_path):
    """`make bench` fails when the grading benchmark misses a goal (the last report's
    measurements, with the speedup or overhead moved past its goal)."""
    from benchmarks import bench_grading as B

    measured = json.loads((ROOT / "reports" / "bench_grading.json").read_text())
    for change, status in (({}, 0 if all(B.goals(measured)) else 1), ({"speedup": 1.79}, 1),
                           ({"overhead": 1.31}, 1), ({"same_scores": False}, 1)):
        monkeypatch.setattr(B, "bench", lambda ps, n, workers: dict(measured, **change))
        assert B.main(["--out", str(tmp_path / "b.md")]) == status, change
        assert ("NOT met" in (tmp_path / "b.md").read_text()) == (not all(B.goals(dict(measured, **change))))


def test_bench_report_default_and_readme_agree():
    """The report the README quotes is what `make bench` writes by default (24 hand-ins), and
    the README's numbers are the report's."""
    from benchmarks import bench_grading as B

    r = json.loads((ROOT / "reports" / "bench_grading.json").read_text())
    assert B.DEFAULT_N == r["handins"]
    readme = (ROOT / "README.md").read_text()
    line = " ".join(readme.split("[reports/bench_grading.md]", 1)[1].split("\n- ")[0].split())
    assert f"{r['handins']} {r['ps']} hand-ins" in line
    for number in (f"{r['parallel_s']:.1f} s", f"{r['serial_s']:.1f} s", f"**{r['speedup']:.2f}x**",
                   f"**{r['overhead']:.2f}x**"):
        assert number in line, f"README says {line!r}, the report {number}"
    md = (ROOT / "reports" / "bench_grading.md").read_text()
    assert f"**{r['speedup']:.2f}x**" in md and f"({r['ps']}, {r['handins']} hand-ins)" in md
    recipe = (ROOT / "Makefile").read_text().split("\nbench:", 1)[1].split("\n\n")[0]
    assert "benchmarks.bench_grading" in recipe and "$(if $(n),--n $(n))" in recipe  # else the tool's default


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
    serial = {k: v for k, v in dump(G.default_db_url(courses / "serial")).items() if k[0] in STUDENTS}
    distributed = dump(G.normalise_db_url(postgres))
    assert distributed.keys() == serial.keys()
    diff = {k: (serial[k], distributed[k]) for k in serial if serial[k] != distributed[k]}
    assert not diff, f"Dask + PostgreSQL grading differs from serial nbgrader: {diff}"
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").exists()
    assert "reference" in (course / "grades.csv").read_text()
