"""A whole loop of the platform route, for real: roster, collect from a Canvas download (on-time,
late within grace, late, very late uploads), `dlcourse grade` with the configured due date and
late policy, `dlcourse export`: Canvas and Moodle CSVs and feedback files for bulk upload."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from tests.term import archives_kit as K
from tests.term.test_collect import _course

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("term")

POLICY = '''
c.Term.timezone = "UTC"
c.Term.due_dates = {"ps1": "2027-01-18 23:59:00"}
c.PercentPerStartedDay.percent_per_day = 10
c.PercentPerStartedDay.max_percent = 30
c.PercentPerStartedDay.grace_minutes = 15
'''
UPLOADS = {  # canvas file name: upload time (UTC)
    "doejane_1001_5001_gradient_descent_ps1_jdoe.zip": (2027, 1, 18, 23, 50, 0),          # on time
    "smithann_LATE_1002_5002_gradient_descent_ps1_asmith.zip": (2027, 1, 19, 0, 10, 0),   # 11 min: grace
    "roebob_LATE_1003_5003_gradient_descent_ps1_broe.zip": (2027, 1, 19, 10, 0, 0),       # 1 started day
    "latedan_LATE_1005_5005_gradient_descent_ps1_dlate.zip": (2027, 1, 25, 9, 0, 0),      # 7 days: capped
}
ROSTER = ["jdoe,Jane,Doe,jane@uni.edu,1001", "asmith,Ann,Smith,ann@uni.edu,1002", "broe,Bob,Roe,bob@uni.edu,1003",
          "cnoshow,Cy,Noshow,cy@uni.edu,1004", "dlate,Dan,Late,dan@uni.edu,1005"]


def _run(course: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "dlcourse", *args, "--course", str(course)],
                          capture_output=True, text=True, cwd=ROOT, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def exported(tmp_path_factory, handin):
    tmp = tmp_path_factory.mktemp("loop")
    course = _course(tmp / "course")
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(POLICY)
    (course / "students.csv").write_text("id,first_name,last_name,email,platform_id\n" + "\n".join(ROSTER) + "\n")
    _run(course, "roster", str(course / "students.csv"))
    work = K.zip_of(K.members(handin))
    K.zip_of({name: work for name in UPLOADS}, tmp / "canvas.zip", UPLOADS)
    collected = _run(course, "collect", "ps1", str(tmp / "canvas.zip"))
    graded = _run(course, "grade", "ps1", "--workers", "2", "--no-progress")
    export = _run(course, "export", "ps1")
    return course, collected.stdout, graded.stdout, export.stdout


def _csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_late_policy_applies_to_the_final_grade(exported):
    course, collected, _, out = exported
    assert "4 hand-in(s) of 4 student(s) collected, 0 refused" in collected
    rows = {r["SIS User ID"]: r for r in _csv(course / "export" / "ps1" / "canvas_grades.csv")}
    possible = float(rows.pop("")["ps1"])
    full = float(rows["jdoe"]["ps1"])
    assert 0 < full <= possible
    assert float(rows["asmith"]["ps1"]) == pytest.approx(full)          # 11 minutes late: within grace
    assert float(rows["broe"]["ps1"]) == pytest.approx(0.9 * full)      # 10 hours: one started day
    assert float(rows["dlate"]["ps1"]) == pytest.approx(0.7 * full)     # 7 days, capped at 30 %
    assert rows["cnoshow"]["ps1"] == ""                                  # no hand-in: no grade, not 0
    assert rows["broe"]["ID"] == "1003" and rows["broe"]["Student"] == "Roe, Bob"
    assert "4 grade(s), 1 without a hand-in (left blank), late penalty for 2" in out


def test_nbgrader_records_the_lateness(exported):
    from nbgrader.api import Gradebook
    course = exported[0]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        late = {s.student.id: s.total_seconds_late for s in gb.find_assignment("ps1").submissions}
        penalty = {s.student.id: sum(n.late_submission_penalty or 0 for n in s.notebooks)
                   for s in gb.find_assignment("ps1").submissions}
    assert late["jdoe"] == 0 and late["asmith"] == pytest.approx(11 * 60, abs=1)
    assert late["broe"] == pytest.approx((10 * 60 + 1) * 60, abs=1)
    assert penalty["jdoe"] == 0 and penalty["asmith"] == 0 and penalty["broe"] > 0


def test_moodle_csv_and_feedback_files_for_bulk_upload(exported):
    course = exported[0]
    rows = {r["ID number"]: r for r in _csv(course / "export" / "ps1" / "moodle_grades.csv")}
    assert set(rows) == {"jdoe", "asmith", "broe", "cnoshow", "dlate"}
    assert rows["jdoe"]["Email address"] == "jane@uni.edu" and rows["cnoshow"]["ps1"] == ""
    feedback = sorted(p.name for p in (course / "export" / "ps1" / "feedback").iterdir())
    assert feedback == ["doejane_1001_5001_ps1_feedback.html", "latedan_1005_5005_ps1_feedback.html",
                        "roebob_1003_5003_ps1_feedback.html", "smithann_1002_5002_ps1_feedback.html"]
    import zipfile
    with zipfile.ZipFile(course / "export" / "ps1" / "feedback_ps1.zip") as zf:
        assert sorted(zf.namelist()) == feedback
