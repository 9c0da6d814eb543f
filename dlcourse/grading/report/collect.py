"""The class report's data: scores from the gradebook (scores.totals), failure messages from the
autograded notebooks, hand-ins the last run could not grade, hand-ins to review by hand."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import nbformat

from dlcourse import config
from dlcourse.grading import tamper
from dlcourse.grading.run.gradebook import normalise_db_url
from dlcourse.grading.run.state import load_state
from dlcourse.grading.scores import totals

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def normalise(ename: str, evalue: str) -> str:
    """One line per kind of failure: numbers masked, long messages cut."""
    text = " ".join(evalue.split())
    text = NUMBER.sub("#", text)
    return f"{ename}: {text}"[:300]


def collect(course: Path, ps: str, db_url: str | None = None) -> dict:
    """{"ps", "tests": [per test: points, passed, graded, messages, examples], "students": [...],
    "suspicious": {student: findings}}."""
    from nbgrader.api import Gradebook, MissingEntry

    cfg = config.load(course)
    db_url = normalise_db_url(db_url or cfg.db_url)
    with Gradebook(db_url, cfg.course_id) as gb:
        try:
            assignment = gb.find_assignment(ps)
        except MissingEntry:
            raise SystemExit(f"{ps} is not in the gradebook {db_url}: grade it first")
        tests = {(nb.name, cell.name): {"notebook": nb.name, "test": cell.name, "points": cell.max_score,
                                        "passed": 0, "graded": 0, "messages": Counter(), "examples": {}}
                 for nb in assignment.notebooks for cell in nb.grade_cells if cell.cell_type == "code"}
        students = []
        for sub in assignment.submissions:
            _count_passes(sub, tests)
            t = totals(sub)
            students.append({"student": sub.student.id, "auto": t["auto"], "auto_max": t["auto_max"],
                             "manual_max": t["manual_max"], "graded": t["graded"], "problem": ""})
    students = _with_failures(students, load_state(course, ps).get("failed", {}))
    _collect_messages(course, ps, tests)
    return {"ps": ps, "tests": list(tests.values()), "students": sorted(students, key=lambda s: s["student"]),
            "suspicious": tamper.review(course, ps)}


def _count_passes(sub, tests: dict) -> None:
    for nb in sub.notebooks:
        for g in nb.grades:
            t = tests.get((nb.name, g.name))
            if t is None or g.auto_score is None:
                continue
            t["graded"] += 1
            # a bonus test (0 points) passed when it earned its extra credit
            t["passed"] += g.auto_score >= g.max_score if g.max_score else bool(g.extra_credit)


def _with_failures(students: list[dict], failed: dict[str, str]) -> list[dict]:
    """Hand-ins the last grading run could not grade (kept out of the gradebook): listed with the
    reason; an earlier grade, if any, is shown as it stands."""
    known = {s["student"]: s for s in students}
    for student, reason in sorted(failed.items()):
        if student in known:
            known[student]["problem"] = f"last regrade failed, earlier grade shown: {reason}"
        else:
            students.append({"student": student, "auto": 0.0, "auto_max": 0.0, "manual_max": 0.0,
                             "graded": False, "problem": f"not graded: {reason}"})
    return students


def _collect_messages(course: Path, ps: str, tests: dict) -> None:
    """Each failing test cell's `ename: evalue` (the test helpers' hint), counted per test."""
    for path in sorted((course / "autograded").glob(f"*/{ps}/*.ipynb")):
        student = path.parent.parent.name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 -- a broken notebook has no messages to show
            continue
        for cell in nb.cells:
            t = tests.get((path.stem, cell.metadata.get("nbgrader", {}).get("grade_id")))
            if t is None or cell.cell_type != "code":
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    key = normalise(out.get("ename", ""), out.get("evalue", ""))
                    t["messages"][key] += 1
                    t["examples"].setdefault(key, (student, f"{out.get('ename')}: {out.get('evalue', '')}"[:400]))
