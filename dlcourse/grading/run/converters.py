"""nbgrader's converters as a grading job runs them (run/job.py).

RecordingAutograde is nbgrader's Autograde that also keeps, for the run's summary, the
exception that stopped a hand-in (nbgrader only logs it) and what the course's
preprocessors recorded about each notebook (preprocessors/records.py).
"""
from __future__ import annotations

from nbgrader.converters import Autograde, GenerateFeedback

from dlcourse.grading.preprocessors.records import records

__all__ = ["GenerateFeedback", "RecordingAutograde"]


class RecordingAutograde(Autograde):

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.failure: BaseException | None = None   # the first exception of the hand-in
        self.records: dict[str, dict] = {}          # notebook -> {kind: [...]}

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        try:
            super().init_assignment(assignment_id, student_id)
        except Exception as exc:
            self.failure = self.failure or exc
            raise

    def convert_single_notebook(self, notebook_filename: str) -> None:
        try:
            super().convert_single_notebook(notebook_filename)
        except Exception as exc:
            self.failure = self.failure or exc
            raise

    def write_single_notebook(self, output, resources) -> None:
        if not self._sanitizing:
            self.records[resources["nbgrader"]["notebook"]] = records(resources)
        super().write_single_notebook(output, resources)
