"""Scores per (student, assignment), read from the gradebook."""
from __future__ import annotations

from pathlib import Path


def scores(course: Path, db_url: str | None = None, course_id: str | None = None) -> list[dict]:
    """Per (student, assignment) automatic and manual scores from the gradebook.

    auto / auto_max: the automatically graded points; extra: extra credit on top
    of the maximum (passed bonus tests, dlcourse/grading/extra_credit.py, and what graders
    entered in formgrader).

    db_url: any SQLAlchemy URL (default: the course's sqlite gradebook.db).
    """
    from nbgrader.api import Gradebook

    rows = []
    args = (course_id,) if course_id else ()
    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}", *args) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                auto = manual_max = auto_max = extra = 0.0
                for nb in sub.notebooks:
                    for g in nb.grades:
                        bonus = g.extra_credit or 0.0
                        extra += bonus
                        if g.cell.cell_type == "code":
                            auto += (g.score or 0.0) - bonus
                            auto_max += g.max_score
                        else:
                            manual_max += g.max_score
                rows.append({"student": sub.student.id, "assignment": assignment.name,
                             "auto": auto, "auto_max": auto_max, "manual_max": manual_max,
                             "extra": extra})
    return rows


