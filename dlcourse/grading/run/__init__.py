"""Class grading: every hand-in of an assignment, in parallel, into the course gradebook.

    checks.py       bad input stops the run before anything is graded (GradingError)
    state.py        .grading/<ps>.json: what was graded, so a run resumes where one stopped
    job.py          one hand-in, autograded with feedback in a scratch course (converters.py)
    workers.py      where jobs run: local worker processes (retried if one dies) or Dask
    gradebook.py    the course gradebook: structure for jobs, one transaction per result
    files.py        folders as data; autograded/ and feedback/ swapped in whole
    interrupts.py   Ctrl-C / SIGTERM wait for the hand-in being written
    outcome.py      what a run did, printed for the instructor
    grading_run.py  GradingRun: check, plan, grade, write, finish; grade_class()
    command.py      `dlcourse grade`
"""
from __future__ import annotations

from dlcourse.grading.run.checks import GradingError
from dlcourse.grading.run.command import main
from dlcourse.grading.run.grading_run import GradingRun, Options, default_workers, grade_class

__all__ = ["GradingError", "GradingRun", "Options", "default_workers", "grade_class", "main"]
