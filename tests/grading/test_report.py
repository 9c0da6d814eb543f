"""The class report (dlcourse/grading/report/) on a course graded by dlcourse.grading.run."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dlcourse.grading import report as R
from tests.grading.run.shared import GROUP, graded_course

ROOT = Path(__file__).resolve().parents[2]
# shares the graded course of tests/grading/run/: same xdist worker
pytestmark = pytest.mark.xdist_group(GROUP)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    course = graded_course(tmp_path_factory) / "parallel"
    proc = subprocess.run([sys.executable, "-m", "dlcourse", "report", "ps1", "--course", str(course)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return course, (course / "reports" / "ps1" / "index.html").read_text()


def test_page_and_plots(report):
    course, page = report
    for png in ("scores.png", "pass_rates.png"):
        data = (course / "reports" / "ps1" / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
        assert f"src='{png}'" in page


def test_students_table(report):
    _, page = report
    assert "reference" in page and "40 / 40" in page
    assert "corrupt <span class='bad'>not graded: the notebook file is not valid JSON" in page
    assert "3 hand-ins, 2 graded automatically" in page


def test_failure_messages_per_test(report):
    course, page = report
    data = R.collect(course, "ps1")
    tests = {t["test"]: t for t in data["tests"]}
    assert len(tests) > 10
    # the mistakes student fails some tests, the reference passes all: 1 of 2 passes those
    failing = [t for t in tests.values() if t["passed"] < t["graded"]]
    assert failing and all(t["graded"] == 2 and t["passed"] == 1 for t in failing)
    for t in failing:
        assert sum(t["messages"].values()) >= 1
    # messages carry the test helpers' hints, numbers masked, shown in the page
    msgs = [m for t in failing for m in t["messages"]]
    assert any("Hint" in m for m in msgs)
    assert all(not any(ch.isdigit() for ch in m.split(":", 1)[1]) for m in msgs if "Hint" in m)
    assert "Most frequent failures per test" in page and "Hint" in page


def test_normalise_groups_same_mistake():
    a = R.normalise("TestFailure", "got 2.85888, expected 2.57664 (max abs error 0.282). Hint: chain rule.")
    b = R.normalise("TestFailure", "got 1e-3, expected -7 (max abs error 12).  Hint: chain rule.")
    assert a == b == "TestFailure: got #, expected # (max abs error #). Hint: chain rule."


def test_suspicious_handins_listed_for_review(report, tmp_path):
    """A hand-in whose answer rebinds a test helper is listed under "Review by hand"."""
    import shutil

    import nbformat

    course, page = report
    assert "Review by hand" not in page  # reference and typical mistakes: nothing to review
    copy = tmp_path / "c"
    shutil.copytree(course, copy, ignore=shutil.ignore_patterns("reports"))
    nb_path = copy / "autograded" / "mistakes" / "ps1" / "gradient_descent.ipynb"
    nb_path.chmod(0o644)
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    cell.source += "\ncheck = lambda *a, **k: None\n"
    nbformat.write(nb, nb_path)
    text = R.write(copy, "ps1").read_text()
    assert "Review by hand" in text and "mistakes" in text.split("Review by hand", 1)[1].split("</table>")[0]


def test_page_escapes_what_students_wrote():
    """Messages, examples, findings and ids come from hand-ins: the template escapes them all."""
    from collections import Counter

    message = "TestFailure: <b>bold</b>"
    data = {"ps": "ps1", "students": [{"student": "s<x>", "auto": 1.0, "auto_max": 2.0, "manual_max": 3.0,
                                       "graded": True, "problem": ""}],
            "tests": [{"notebook": "nb", "test": "t<1>", "points": 2.0, "passed": 0, "graded": 1,
                       "messages": Counter({message: 1}), "examples": {message: ("s<x>", message)}}],
            "suspicious": {"s<x>": ["uses <script>", "second"]}}
    page = R.render(data, {"scores": "scores.png", "pass_rates": "pass_rates.png"})
    assert "<b>bold" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>" not in page and "uses &lt;script&gt;<br>second" in page
    assert "s&lt;x&gt;" in page and "<code>t&lt;1&gt;</code>" in page
    assert "1 / 2</td><td class='num'>50</td><td>3 points pending" in page
