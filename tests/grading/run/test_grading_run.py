"""Class grading (dlcourse/grading/run/grading_run.py, command.py) against serial `nbgrader
autograde`, for real, on the shared scratch course (shared.py): every grade, comment and
submission row of the two gradebooks identical; outputs, failures reported and retried,
resume, --force, the progress bar, default workers, the exit status, `make grade` itself.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess

import nbformat
import pytest

from dlcourse.authoring.examples import write_submissions
from dlcourse.authoring.release import release
from dlcourse.grading import run as G
from dlcourse.grading.scores import scores
from tests.grading.run.shared import (GROUP, ROOT, STUDENTS, copy_course, db, dump, grade_cli, graded_copy,
                                      graded_course)

pytestmark = pytest.mark.xdist_group(GROUP)


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    return graded_course(tmp_path_factory)


def test_parallel_grades_equal_serial_grades(courses):
    """Every row equal -- except that a hand-in nbgrader cannot grade leaves nothing in the
    parallel gradebook (serial nbgrader leaves an empty submission behind)."""
    serial = {k: v for k, v in dump(db(courses / "serial")).items() if k[0] != "corrupt"}
    parallel = dump(db(courses / "parallel"))
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


def test_cli_resumes_and_regrades_only_changed(courses, tmp_path):
    course = graded_copy(courses, tmp_path / "c")
    # resume: nothing changed -> nothing but the corrupt hand-in regraded
    proc = grade_cli(course, "--workers", "2", "--no-progress")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a hand-in could not be graded: scripts notice
    assert "some hand-ins could not be graded" in proc.stderr
    assert "2 unchanged hand-in(s) already graded, skipped" in proc.stdout
    assert "NOT GRADED corrupt/ps1: the notebook file is not valid JSON" in proc.stdout
    assert "reference" in proc.stdout and "40.0 / 40.0" in proc.stdout  # the summary table
    # a changed hand-in is regraded, the other skipped (--force: test_force_regrades_unchanged_handin)
    before = dump(db(course))
    (course / "submitted" / "corrupt").rename(tmp_path / "corrupt")
    ts = course / "submitted" / "mistakes" / "ps1" / "timestamp.txt"
    ts.write_text("2026-11-23 09:30:00.000000 UTC")
    out = G.grade_class(course, "ps1", workers=2, progress=False)
    assert out["graded"] == ["mistakes"] and out["skipped"] == ["reference"] and not out["failed"]
    after = dump(db(course))
    assert after[("mistakes", "ps1")][1].day == 23
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("mistakes", "ps1")}, changed


def test_failed_regrade_keeps_earlier_grades(courses, tmp_path):
    """A resubmission that cannot be graded is reported and changes nothing: the gradebook,
    autograded/ and feedback/ keep the last good grading."""
    course = graded_copy(courses, tmp_path / "c", keep=STUDENTS)
    before = dump(db(course))
    feedback = (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").read_bytes()
    (course / "submitted" / "reference" / "ps1" / "gradient_descent.ipynb").write_text('{"cells": [')
    out = G.grade_class(course, "ps1", workers=2, progress=False)
    assert set(out["failed"]) == {"reference"} and "not valid JSON" in out["failed"]["reference"]
    assert out["graded"] == [] and out["skipped"] == ["mistakes"]
    assert dump(db(course)) == before
    row = next(r for r in out["rows"] if r["student"] == "reference")  # the table says why
    assert "not valid JSON" in row["problem"] and row["auto"] == 40
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").read_bytes() == feedback
    assert (course / "autograded" / "reference" / "ps1" / "gradient_descent.ipynb").exists()


def test_missing_notebook_of_two_is_graded_and_reported(tmp_path):
    """ps2 has two notebooks: a hand-in with one of them is graded (the missing one scores 0,
    as nbgrader does) and the summary says which notebook was missing -- and which cell's
    output was cut short (c.LimitOutput.max_lines).  This course keeps its gradebook elsewhere
    (c.CourseDirectory.db_url): grading writes there."""
    course = tmp_path / "c"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    elsewhere = tmp_path / "elsewhere.db"
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f'\nc.CourseDirectory.db_url = "sqlite:///{elsewhere}"\n')
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
    assert elsewhere.exists() and not (course / "gradebook.db").exists()
    assert [r["student"] for r in scores(course)] == ["blank"]  # read from the configured gradebook


def test_force_regrades_unchanged_handin_with_progress_bar(courses, tmp_path):
    """An unchanged hand-in is skipped; --force grades it again (same grades, new grading).
    Without --no-progress a progress bar over hand-ins goes to stderr."""
    course = graded_copy(courses, tmp_path / "c", keep=("reference",))
    state = course / ".grading" / "ps1.json"
    first = json.loads(state.read_text())["handins"]["reference"]
    out = G.grade_class(course, "ps1", progress=False)
    assert out["skipped"] == ["reference"] and not out["graded"]
    before = dump(db(course))
    (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").unlink()
    proc = grade_cli(course, "--force", "--no-report")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "grading 1 hand-in(s) on 1 local worker(s)" in proc.stdout
    assert "graded 1, skipped 0, not graded 0 of 1 hand-ins" in proc.stdout
    assert re.search(r"grading ps1: +100%\|.*\| 1/1 \[", proc.stderr), proc.stderr[-2000:]
    again = json.loads(state.read_text())["handins"]["reference"]
    assert again["hash"] == first["hash"] and again["graded_at"] > first["graded_at"]
    assert (course / "feedback" / "reference" / "ps1" / "gradient_descent.html").exists()
    assert dump(db(course)) == before


def test_default_workers_is_one_per_core():
    """The rule; the CLI's use of it: test_resume_after_real_interruptions, test_make_grade."""
    assert G.default_workers() == os.cpu_count()


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
