"""The scratch courses the class-grading tests share (tests/grading/run/, tests/grading/test_report.py).

One course with ps1 released and a few hand-ins (reference, typical mistakes, a corrupt
file) is graded twice, once per test process: serially by plain nbgrader (`nbgrader
autograde`, `generate_feedback`) and in parallel by dlcourse.grading.run.  Tests copy it
rather than grading from scratch.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from dlcourse import config
from dlcourse import course as C
from dlcourse.authoring.examples import write_submissions
from dlcourse.authoring.release import release
from dlcourse.grading.run import grade_class

ROOT = Path(__file__).resolve().parents[3]
STUDENTS = ("reference", "mistakes")
GROUP = "grade_class"  # xdist group of every test that uses the shared course


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


def db(course: Path) -> str:
    """The course's gradebook URL, as its configuration says (dlcourse/config.py)."""
    return config.load(course).db_url


def graded_course(tmp_path_factory) -> Path:
    """<base>/template (not graded), <base>/serial (plain nbgrader), <base>/parallel (dlcourse grade)."""
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
        grade_class(base / "parallel", "ps1", workers=2, progress=False)
        (base / ".done").write_text("")
    return base


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


def grade_cli(course: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlcourse", "grade", "ps1", "--course", str(course), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)
