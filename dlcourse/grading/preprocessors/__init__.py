"""The nbgrader preprocessors this course adds, one per module (configured in nbgrader_config.py).

autograde, sanitizing:  DropEmptyMetadata (metadata.py), RestoreLockedCells (locked_cells.py)
autograde:              StderrIsNotFailure (stderr.py), ReportedLimitOutput (limit_output.py),
                        AutogradedExtraCredit (extra_credit.py), FlagForReview (flag_for_review.py);
                        the Execute preprocessor with the guard is dlcourse/grading/execute.py
generate_feedback:      HideHiddenTests (hidden_tests.py); feedback_files.py copies only the
                        files handed in
records.py:             what they record about a notebook for the grading run's summary
"""
from __future__ import annotations

from dlcourse.grading.preprocessors.extra_credit import AutogradedExtraCredit
from dlcourse.grading.preprocessors.feedback_files import feedback_copies_handed_in_files_only
from dlcourse.grading.preprocessors.flag_for_review import FlagForReview
from dlcourse.grading.preprocessors.hidden_tests import REDACTED, HideHiddenTests, Redactor, hide_source
from dlcourse.grading.preprocessors.limit_output import ReportedLimitOutput
from dlcourse.grading.preprocessors.locked_cells import RestoreLockedCells
from dlcourse.grading.preprocessors.metadata import DropEmptyMetadata
from dlcourse.grading.preprocessors.stderr import STDERR_PREFIX, StderrIsNotFailure, stderr_to_stdout

__all__ = ["AutogradedExtraCredit", "DropEmptyMetadata", "FlagForReview", "HideHiddenTests", "REDACTED",
           "Redactor", "ReportedLimitOutput", "RestoreLockedCells", "STDERR_PREFIX", "StderrIsNotFailure",
           "feedback_copies_handed_in_files_only", "hide_source", "stderr_to_stdout"]
