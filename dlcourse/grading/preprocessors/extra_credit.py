"""Bonus tests: autograded extra credit on top of an assignment's maximum.

nbgrader counts every grade cell's points in the assignment's maximum, so a
bonus graded like any other test would lower the score of every student who
skips it.  Its only extra-credit field is for graders in formgrader.  So a
bonus test cell here

- has 0 nbgrader points (it adds nothing to the maximum), and
- declares its worth in its first line, e.g. ``# Bonus (extra credit): 2 points.``

After SaveAutoGrades, `AutogradedExtraCredit` gives such a cell's grade
`extra_credit` = its worth when it passed (no error output), else 0.  Grades
(Grade.score = auto_score + extra_credit), exports, feedback and the class
report then count it as extra credit.  The declaration is read from the
restored cell (test cells are locked: OverwriteCells puts back the source
from the gradebook), so a hand-in cannot raise its own bonus.

Written extra-credit questions are plain manually graded answers with 0
points; graders enter what they give in formgrader's "extra credit" field.
"""
from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from dlcourse.cells import bonus_points, is_bonus_test, passed


class AutogradedExtraCredit(NbGraderPreprocessor):
    """Store each bonus test's result as extra credit (autograde, after SaveAutoGrades)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        bonus = [c for c in nb.cells if is_bonus_test(c)]
        if not bonus:
            return nb, resources
        with Gradebook(info["db_url"]) as gb:
            for cell in bonus:
                grade = gb.find_grade(cell.metadata["nbgrader"]["grade_id"], info["notebook"],
                                      info["assignment"], info["student"])
                worth = bonus_points(cell.source)
                grade.extra_credit = worth if passed(cell.get("outputs", [])) else 0.0
                self.log.info("bonus %s: %g of %g extra point(s)", grade.name, grade.extra_credit, worth)
            gb.db.commit()
        return nb, resources
