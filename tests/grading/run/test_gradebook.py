"""The course gradebook as class grading writes it (dlcourse/grading/run/gradebook.py)."""
from __future__ import annotations

import shutil

import pytest

from dlcourse.grading.run.gradebook import merge, read_submission
from tests.grading.run.shared import GROUP, graded_course

pytestmark = pytest.mark.xdist_group(GROUP)


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    return graded_course(tmp_path_factory)


def test_merge_keeps_manual_grades(courses, tmp_path):
    """Regrading keeps an instructor's manual score, flags the cell for review (as nbgrader does)."""
    from nbgrader.api import Gradebook

    course = courses / "parallel"
    db = tmp_path / "gb.db"
    shutil.copy(course / "gradebook.db", db)
    url = f"sqlite:///{db}"
    data = read_submission(url, "dl-ground-up", "ps1", "mistakes")
    with Gradebook(url, "dl-ground-up") as gb:
        g = next(g for nb in gb.find_submission("ps1", "mistakes").notebooks for g in nb.grades
                 if g.auto_score is not None)
        name = g.name
        g.manual_score = 0.5
        gb.find_submission_notebook("gradient_descent", "ps1", "mistakes").flagged = True
        gb.db.commit()
        assert not data["notebooks"]["gradient_descent"]["flagged"]
        merge(gb, "ps1", "mistakes", data)
        g = gb.find_grade(name, "gradient_descent", "ps1", "mistakes")
        assert g.manual_score == 0.5 and g.needs_manual_grade and g.score == 0.5
        assert gb.find_submission_notebook("gradient_descent", "ps1", "mistakes").flagged  # kept
