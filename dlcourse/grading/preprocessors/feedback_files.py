"""Feedback gets the files the student handed in, not files their code wrote while graded.

nbgrader's generate_feedback copies every other file of autograded/<student>/<ps>/ into
the student's feedback folder; student code ran there while grading, after hidden tests
were in the kernel, and could have written their source into a file.
`feedback_copies_handed_in_files_only()` (called by nbgrader_config.py) makes it copy only
files that are in submitted/<student>/<ps>/ with the same bytes (others are logged).
"""
from __future__ import annotations

import shutil
from pathlib import Path


def init_assignment(self, assignment_id: str, student_id: str) -> None:
    """GenerateFeedback.init_assignment, copying only the files handed in, unchanged."""
    from nbgrader.utils import find_all_files

    source = Path(self._format_source(assignment_id, student_id))
    dest = Path(self._format_dest(assignment_id, student_id))
    handed_in = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment_id))
    for filename in find_all_files(str(source), self.coursedir.ignore + ["*.ipynb"]):
        rel = Path(filename).relative_to(source)
        original = handed_in / rel
        if not original.is_file() or original.read_bytes() != Path(filename).read_bytes():
            self.log.info("Not copying %s into feedback: written or changed while grading", rel)
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(filename, dest / rel)


def feedback_copies_handed_in_files_only() -> None:
    from nbgrader.converters.generate_feedback import GenerateFeedback

    GenerateFeedback.init_assignment = init_assignment
