"""End to end through real nbgrader: release, example hand-ins, autograde, feedback, export.

Runs `python -m dlcourse demo` (what `make demo` runs: release, example hand-ins,
dlcourse.grading.run -- the grader of `make grade`) on a scratch copy of
the course, then checks the release matches the committed release/ and that
the grades discriminate: reference full marks, blank 0, typical mistakes in
between; and that grading is deterministic: the reference and typical-mistakes
hand-ins of every notebook, graded twice more, score the same in every test cell.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlcourse import config
from dlcourse.course import assignments, copy_course
from dlcourse.grading.run import grade_class
from dlcourse.grading.scores import scores

ROOT = Path(__file__).resolve().parent.parent
# One demo run shared by these tests: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("pipeline")


@pytest.fixture(scope="module")
def demo_course(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course"))
    proc = subprocess.run([sys.executable, "-m", "dlcourse", "demo", "--course", str(course)],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    print(proc.stdout[-5000:])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (course / "logs" / "demo_stdout.txt").write_text(proc.stdout)
    return course


def _comparable(path: Path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


def test_release_matches_source(demo_course):
    """release/ is exactly what nbgrader generates from source/ now."""
    for ps in assignments(ROOT):
        made = sorted(p.name for p in (demo_course / "release" / ps).iterdir())
        committed = sorted(p.name for p in (ROOT / "release" / ps).iterdir())
        assert made == committed, f"release/{ps}: files differ; run `make notebooks`"
        for name in made:
            if name.endswith(".ipynb"):
                assert _comparable(ROOT / "release" / ps / name) == _comparable(
                    demo_course / "release" / ps / name), f"release/{ps}/{name} is stale; run `make notebooks`"


def test_release_has_no_solutions():
    for nb_path in (ROOT / "release").rglob("*.ipynb"):
        text = nb_path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{nb_path} contains {marker}"
        nb = nbformat.read(nb_path, as_version=4)
        stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
        assert stubs, f"{nb_path}: no answer cells"
        for c in stubs:
            assert "raise NotImplementedError()" in c.source, f"{nb_path}: answer cell {c.metadata['nbgrader']['grade_id']} is not a stub"


ASKS = re.compile(r"\?|\bquestion\b|\b(report|explain|describe|write)\b", re.IGNORECASE)


def test_release_shows_every_written_question():
    """A written-answer cell becomes "YOUR ANSWER HERE" in release/: its question must stay
    visible in a locked markdown cell just above it -- never inside the answer cell, where a
    student's answer would replace it (and the formgrader would show the answer without it)."""
    missing = []
    for nb_path in sorted((ROOT / "release").rglob("*.ipynb")):
        cells = nbformat.read(nb_path, as_version=4).cells
        for i, c in enumerate(cells):
            meta = c.metadata.get("nbgrader", {})
            if c.cell_type != "markdown" or not meta.get("solution"):
                continue
            if c.source.strip() != "YOUR ANSWER HERE":
                missing.append(f"{nb_path.relative_to(ROOT)}: {meta['grade_id']} (question inside the answer cell)")
                continue
            # the nearest markdown above (past other answers and a few code cells) asks it
            above = [x for x in cells[max(0, i - 4):i] if x.cell_type == "markdown"
                     and not x.metadata.get("nbgrader", {}).get("solution")]
            if not above or not ASKS.search(above[-1].source):
                missing.append(f"{nb_path.relative_to(ROOT)}: {meta['grade_id']}")
    assert not missing, "written answers whose question students cannot see:\n" + "\n".join(missing)


def test_grades_discriminate(demo_course):
    rows = {(r["student"], r["assignment"]): r for r in scores(demo_course)}
    for ps in assignments(ROOT):
        ref, blank, bad = rows[("reference", ps)], rows[("blank", ps)], rows[("mistakes", ps)]
        assert ref["auto_max"] > 0
        assert ref["auto"] == pytest.approx(ref["auto_max"]), f"{ps}: reference lost points"
        assert blank["auto"] == 0, f"{ps}: blank release scored {blank['auto']}"
        assert 0 < bad["auto"] < bad["auto_max"], f"{ps}: typical mistakes scored {bad['auto']}"
        # bonus tests (dlcourse/grading/extra_credit.py) are extra credit, outside the maximum
        assert ref["extra"] == pytest.approx(BONUS.get(ps, 0.0)), f"{ps}: reference extra credit {ref['extra']}"
        assert blank["extra"] == 0, f"{ps}: blank release earned extra credit"


# Extra credit the reference earns from autograded bonus tests (ps3: AdamW, 1 + 2 points).
BONUS = {"ps3": 3.0}


def test_bonus_tests_are_extra_credit_in_every_output(demo_course):
    """ps3's AdamW bonus: not in the maximum (its test cells have 0 points), its 3 points
    added to the reference's score in the grades export as extra credit."""
    import csv

    rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(open(demo_course / "grades.csv"))}
    ref = rows[("reference", "ps3")]
    auto = scores(demo_course)
    ref_auto = next(r for r in auto if r["student"] == "reference" and r["assignment"] == "ps3")
    assert float(ref["max_score"]) == ref_auto["auto_max"] + ref_auto["manual_max"]
    assert float(ref["raw_score"]) == pytest.approx(ref_auto["auto_max"] + BONUS["ps3"])


def test_demo_grades_with_the_class_grader(demo_course):
    """`make demo` grades as `make grade` does (dlcourse.grading.run, one code path): its summary per
    assignment, the score table, grading state and log; every hand-in graded, none failed."""
    out = (demo_course / "logs" / "demo_stdout.txt").read_text()
    for ps in assignments(ROOT):
        assert f"{ps}: graded 3, skipped 0, not graded 0 of 3 hand-ins" in out, out[-3000:]
        assert set(json.loads((demo_course / ".grading" / f"{ps}.json").read_text())["handins"]) == \
            {"reference", "blank", "mistakes"}
        assert (demo_course / "logs" / f"autograde_{ps}.log").exists()
    assert "automatic score" in out and "NOT GRADED" not in out


def test_feedback_and_grades_written(demo_course):
    for ps in assignments(ROOT):
        for student in ("reference", "blank", "mistakes"):
            html = list((demo_course / "feedback" / student / ps).glob("*.html"))
            assert html, f"no feedback for {student}/{ps}"
    with open(demo_course / "grades.csv") as f:
        grades = list(csv.DictReader(f))
    assert {g["student_id"] for g in grades} >= {"reference", "blank", "mistakes"}


def _hidden_lines(source_nb: Path) -> set[str]:
    """Distinctive lines found only in the hidden tests of a source notebook."""
    from dlcourse.cells import HIDDEN

    hidden, public = set(), set()
    for cell in nbformat.read(source_nb, as_version=4).cells:
        for block in HIDDEN.findall(cell.source):
            hidden.update(line.strip() for line in block.splitlines()[1:-1])
        public.update(line.strip() for line in HIDDEN.sub("", cell.source).splitlines())
    return {line for line in hidden - public
            if len(line) > 25 and not set(line) & set("<>&\"'")}


def _leaked(text: str, secret: set[str]) -> list[str]:
    """The lines of `secret` that `text` shows (not as part of a longer name)."""
    return [line for line in secret if re.search(r"(?<![\w.])" + re.escape(line), text)]


def test_feedback_hides_hidden_tests(demo_course):
    """Students' feedback never shows the source of hidden tests."""
    for ps in assignments(ROOT):
        for source_nb in (ROOT / "source" / ps).glob("*.ipynb"):
            secret = _hidden_lines(source_nb)
            assert secret, f"{source_nb} has no hidden tests"
            for html in (demo_course / "feedback").glob(f"*/{ps}/{source_nb.stem}.html"):
                leaked = _leaked(html.read_text(), secret)
                assert not leaked, f"{html} shows hidden test lines: {leaked[:3]}"


def _test_scores(course: Path, students: tuple[str, ...]) -> dict:
    """{(student, assignment, notebook, test cell): (automatic score, extra credit)}."""
    from nbgrader.api import Gradebook

    cfg = config.load(course)
    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        return {(sub.student.id, a.name, nb.name, g.name): (g.auto_score, g.extra_credit)
                for a in gb.assignments for sub in a.submissions if sub.student.id in students
                for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"}


def test_grading_is_deterministic(demo_course, tmp_path_factory):
    """The reference and typical-mistakes hand-ins of all seven notebooks, graded three times (the
    demo's grading, then twice more at the same time: a copy of the demo's course with a second
    copy of each hand-in, --force), score the same in every test cell: no test of a fair answer
    flakes, no mistake passes by chance."""
    students = ("reference", "mistakes")
    course = tmp_path_factory.mktemp("regrade") / "course"
    shutil.copytree(demo_course, course, ignore=shutil.ignore_patterns(
        "blank", "autograded", "feedback", "reports", "logs", ".grading", "export"))
    for s in students:
        shutil.copytree(course / "submitted" / s, course / "submitted" / f"{s}_again")
    for ps in assignments(course):
        out = grade_class(course, ps, force=True, progress=False)
        assert len(out["graded"]) == 4 and not out["failed"], out["failed"]
    again = _test_scores(course, tuple(f"{s}_again" for s in students))
    runs = [_test_scores(demo_course, students), _test_scores(course, students),
            {(k[0].removesuffix("_again"), *k[1:]): v for k, v in again.items()}]
    assert len(runs[0]) > 100 and runs[0].keys() == runs[1].keys() == runs[2].keys()
    differ = {k: [run[k] for run in runs] for k in runs[0] if not runs[0][k] == runs[1][k] == runs[2][k]}
    assert not differ, "test cells scored differently in three gradings (student, ps, notebook, cell): " \
        f"{differ}"
