"""One grading job: a hand-in autograded, with feedback, in a scratch course of its own.

A job takes files in and gives files and grades back (`Job` -> `Result`), so it runs the same
in a local worker process or on a Dask worker with no shared file system.  The scratch course
holds the course's nbgrader_config.py, source/<ps>/, the hand-in and a gradebook with only the
assignment's structure.  nbgrader runs in this process (`in_process`, local workers: saves a
Python start-up and nbgrader's imports per hand-in) or in a child process
(`python -m dlcourse.grading.run.job`; Dask runs jobs in threads).

What the job reports is structured: the exception that stopped nbgrader (outcomes.reason),
the notebooks missing or misnamed (from the file names), what the course's preprocessors
recorded about each notebook (output cut short, code to review by hand).
"""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse import config
from dlcourse.grading.outcomes import NO_NOTEBOOK, notebook_notes, reason
from dlcourse.grading.run.files import read_tree, write_tree
from dlcourse.grading.run.gradebook import read_submission

RESULT_FILE = ".job-result.json"


@dataclass
class Job:
    ps: str
    student: str
    digest: str                 # what was graded (run/state.py): recorded when the result is written
    config: str                 # nbgrader_config.py
    source: dict[str, bytes]    # source/<ps>/
    handin: dict[str, bytes]    # submitted/<student>/<ps>/
    template: bytes             # a gradebook with the assignment's structure, no submissions
    course_id: str
    in_process: bool = True
    tmp_root: str | None = None


@dataclass
class Result:
    student: str
    failure: str = ""                                     # why it could not be graded; "" = graded
    notes: list[str] = field(default_factory=list)        # graded, but the instructor should know
    review: list[str] = field(default_factory=list)       # code to review by hand (tamper.py)
    grades: dict | None = None                            # read_submission's data
    autograded: dict[str, bytes] = field(default_factory=dict)
    feedback: dict[str, bytes] = field(default_factory=dict)
    log: str = ""
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: scratch, autograde, feedback, results
    host: str = ""


def grade_handin(job: Job) -> Result:
    """Autograde and write feedback for one hand-in in a scratch course; files and grades back."""
    t0 = time.perf_counter()
    result = Result(job.student, host=os.uname().nodename)
    with tempfile.TemporaryDirectory(prefix=f"grade-{job.student}-", dir=job.tmp_root) as tmp:
        course = Path(tmp)
        (course / config.CONFIG_FILE).write_text(job.config)
        write_tree(course / "source" / job.ps, job.source)
        write_tree(course / "submitted" / job.student / job.ps, job.handin)
        (course / "gradebook.db").write_bytes(job.template)
        expected, handed_in = _notebooks(job.source), _notebooks(job.handin)
        result.phases["scratch"] = time.perf_counter() - t0
        if not expected & handed_in:
            result.failure = NO_NOTEBOOK
        else:
            result.notes = notebook_notes(expected, handed_in)
            run = autograde if job.in_process else autograde_in_child
            out = run(course, job.ps, job.student)
            result.failure, result.log = out["failure"], out["log"]
            for notebook, recorded in sorted(out["records"].items()):
                result.notes += [f"{notebook}.ipynb: {what}" for what in recorded.get("truncated", [])]
                result.review += recorded.get("review", [])
            result.notes += out["notes"]
            result.phases.update(out["phases"])
        t1 = time.perf_counter()
        if not result.failure:
            result.grades = read_submission(f"sqlite:///{course / 'gradebook.db'}", job.course_id, job.ps, job.student)
            result.autograded = read_tree(course / "autograded" / job.student / job.ps)
            result.feedback = read_tree(course / "feedback" / job.student / job.ps)
        result.phases["results"] = time.perf_counter() - t1
    result.seconds = time.perf_counter() - t0
    return result


def _notebooks(files: dict[str, bytes]) -> set[str]:
    return {name for name in files if name.endswith(".ipynb") and "/" not in name}


def autograde(course: Path, ps: str, student: str) -> dict:
    """`nbgrader autograde` + `generate_feedback` of one hand-in, in this process, in the scratch
    course `course`: {"failure": why not graded or "", "records": {notebook: {kind: [...]}},
    "notes": [...], "log": nbgrader's log, "phases": {"autograde": s, "feedback": s}}."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from dlcourse.grading.run.converters import GenerateFeedback, RecordingAutograde

    cfg = config.load(course).copy()
    coursedir = CourseDirectory(config=cfg, root=str(course), db_url=f"sqlite:///{course / 'gradebook.db'}",
                                assignment_id=ps, student_id=student)
    buffer = io.StringIO()
    log = _job_log(buffer)
    out = {"failure": "", "records": {}, "notes": [], "log": "", "phases": {}}
    t0 = time.perf_counter()
    grader = RecordingAutograde(coursedir=coursedir, config=cfg, log=log, force=True, create_student=True)
    try:
        grader.start()
    except Exception as exc:  # noqa: BLE001  (nbgrader's own exception names the failure less well)
        out["failure"] = reason(grader.failure or exc)
    out["records"] = grader.records
    t1 = out["phases"]["autograde"] = time.perf_counter() - t0
    if not out["failure"]:
        feedback = GenerateFeedback(coursedir=coursedir, config=cfg, log=log, force=True)
        feedback.update_config(Config({"HTMLExporter": {"template_name": "feedback"}}))
        try:
            feedback.start()
        except Exception as exc:  # noqa: BLE001  (graded all the same; the instructor is told)
            out["notes"].append(f"no feedback page: {reason(exc)}")
        out["phases"]["feedback"] = time.perf_counter() - t0 - t1
    log.handlers.clear()
    out["log"] = buffer.getvalue()
    return out


def _job_log(buffer: io.StringIO) -> logging.Logger:
    log = logging.getLogger(f"dlcourse.grading.job.{os.getpid()}.{id(buffer)}")
    log.propagate = False
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    log.addHandler(handler)
    return log


def autograde_in_child(course: Path, ps: str, student: str) -> dict:
    """`autograde` in a child Python process (for Dask workers, which run jobs in threads)."""
    proc = subprocess.run([sys.executable, "-m", "dlcourse.grading.run.job", str(course), ps, student],
                          cwd=course, capture_output=True, text=True)
    path = course / RESULT_FILE
    if not path.exists():
        return {"failure": f"the grading process exited with {proc.returncode}: {proc.stderr.strip()[-300:]}",
                "records": {}, "notes": [], "log": proc.stdout + proc.stderr, "phases": {}}
    return json.loads(path.read_text())


def main(argv=None) -> int:
    course, ps, student = (argv or sys.argv[1:])[:3]
    out = autograde(Path(course), ps, student)
    (Path(course) / RESULT_FILE).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
