"""Scores per (student, assignment), read from the gradebook -- the one place they are summed
(the score table, the grading run's rows and the class report all use `totals`)."""
from __future__ import annotations

from pathlib import Path

from dlcourse import config


def totals(submission) -> dict:
    """One nbgrader submission's sums.

    auto / auto_max: the automatically graded points (code cells) and their maximum; manual_max:
    the written answers' points; extra: extra credit on top of the maximum (passed bonus tests,
    preprocessors/extra_credit.py, and what graders entered in formgrader); graded: every code
    cell has an automatic score."""
    auto = auto_max = manual_max = extra = 0.0
    graded = True
    for nb in submission.notebooks:
        for g in nb.grades:
            bonus = g.extra_credit or 0.0
            extra += bonus
            if g.cell.cell_type == "code":
                auto += (g.score or 0.0) - bonus
                auto_max += g.max_score
                graded = graded and g.auto_score is not None
            else:
                manual_max += g.max_score
    return {"auto": auto, "auto_max": auto_max, "manual_max": manual_max, "extra": extra, "graded": graded}


def scores(course: Path, db_url: str | None = None, course_id: str | None = None,
           assignment: str | None = None) -> list[dict]:
    """{"student", "assignment", "auto", "auto_max", "manual_max", "extra"} per submission (of one
    assignment, or all).  db_url, course_id: default, the course's configuration (dlcourse/config.py)."""
    from nbgrader.api import Gradebook

    cfg = config.load(course)
    rows = []
    with Gradebook(db_url or cfg.db_url, course_id or cfg.course_id) as gb:
        for a in gb.assignments:
            if assignment is not None and a.name != assignment:
                continue
            for sub in a.submissions:
                t = totals(sub)
                rows.append({"student": sub.student.id, "assignment": a.name, "auto": t["auto"],
                             "auto_max": t["auto_max"], "manual_max": t["manual_max"], "extra": t["extra"]})
    return rows
