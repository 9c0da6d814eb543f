"""FlagForReview (autograde, after SaveAutoGrades).

Scans the hand-in (dlcourse/grading/tamper.py): code that rebinds the test helpers, touches
utils.testing, builtins, sys.modules or the kernel, and what the grading guard reported.
Findings are recorded for the run's summary (records.py: "review"), go to the log
("SUSPICIOUS ... review by hand") and flag the notebook in the gradebook (formgrader shows
the flag).
"""
from __future__ import annotations

import os
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from dlcourse.grading import tamper
from dlcourse.grading.preprocessors.records import record


class FlagForReview(Preprocessor):
    """Log, record and flag (gradebook) hand-ins whose code tries to tamper with grading."""
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        course = self.config.CourseDirectory
        source = (Path(course.get("root", os.getcwd())) / course.get("source_directory", "source")
                  / info["assignment"] / f"{info['notebook']}.ipynb")
        findings = tamper.review_notebook(nb, tamper.provided_sources(source) if source.exists() else None)
        if findings:
            self.log.warning("SUSPICIOUS %s/%s/%s.ipynb, review by hand:\n    %s", info["student"],
                             info["assignment"], info["notebook"], "\n    ".join(findings))
            record(resources, "review", [f"{info['notebook']}.ipynb, {f}" for f in findings])
            with Gradebook(info["db_url"]) as gb:
                gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"]).flagged = True
                gb.db.commit()
        return nb, resources
