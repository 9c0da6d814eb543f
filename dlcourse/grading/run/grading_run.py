"""GradingRun: every hand-in of one assignment graded, in parallel, into the course gradebook.

    GradingRun(course, "ps1", Options(workers=2)).run()   # -> Outcome (run/outcome.py)

1. check: bad input stops the run before anything is graded (run/checks.py, GradingError);
2. plan: one job per hand-in that is new or changed (run/state.py; --force: all);
3. grade: jobs run on local worker processes or a Dask cluster (run/workers.py), each in a
   scratch course of its own (run/job.py);
4. write: only this process writes the course -- per result, one gradebook transaction
   (run/gradebook.py), autograded/ and feedback/ swapped in whole, then the state file.  A
   hand-in that could not be graded changes nothing and is retried by the next run;
5. finish: feedback regenerated where graders entered scores, grades.csv, the score rows.

Ctrl-C or SIGTERM waits for the hand-in being written, then stops the workers; a run killed
outright (SIGKILL, power loss) leaves the course as the last written hand-in left it, and
the next run grades the rest.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dlcourse import config
from dlcourse import course as C
import dlcourse.grading.run.gradebook as G
from dlcourse.grading.run.checks import SandboxCheck, check_db, check_workers, connect_scheduler
from dlcourse.grading.run.files import read_tree, replace_tree
from dlcourse.grading.run.interrupts import Interrupts
from dlcourse.grading.run.job import Job, Result
from dlcourse.grading.run.outcome import Outcome
from dlcourse.grading.run.state import State, grading_inputs, handin_hash
from dlcourse.grading.run.workers import DaskWorkers, LocalWorkers
from dlcourse.grading.scores import scores

SCRATCH = "dlcourse-grade-"  # local jobs' scratch courses: <tmp>/dlcourse-grade-<grader pid>-*/


@dataclass
class Options:
    workers: int | None = None        # local worker processes (default: one per core)
    force: bool = False               # regrade unchanged hand-ins too
    scheduler: str | None = None      # a Dask scheduler address: grade on that cluster
    db_url: str | None = None         # the gradebook (default: the course's c.CourseDirectory.db_url)
    progress: bool = True             # a progress bar on stderr


def default_workers() -> int:
    """Local worker processes when --workers is not given: one per core."""
    return os.cpu_count() or 1


class GradingRun:

    def __init__(self, course: Path, ps: str, options: Options | None = None):
        self.course, self.ps = Path(course).resolve(), ps
        self.options = options or Options()
        cfg = config.load(self.course)
        self.given_db, self.course_id = self.options.db_url, cfg.course_id
        self.db_url = G.normalise_db_url(self.given_db or cfg.db_url)
        self.outcome = Outcome(ps)
        self.client = self.workers = self.state = self.log = self.sandbox = None
        self.tmp_root: str | None = None
        self.t0 = 0.0
        self.graded_data: dict[str, dict] = {}

    # -- 1. check -------------------------------------------------------------------------
    def check(self) -> list[Path]:
        """The hand-in folders to consider; GradingError when grading cannot start."""
        check_workers(self.options.workers)
        os.environ["PATH"] = C.venv_env()["PATH"]  # nbgrader's Gradebook runs `alembic` from PATH
        check_db(self.db_url, self.given_db)
        if self.options.scheduler:
            self.client = connect_scheduler(self.options.scheduler)
        return sorted(p for p in (self.course / "submitted").glob(f"*/{self.ps}") if p.is_dir())

    # -- 2. plan ----------------------------------------------------------------------------
    def plan(self, folders: list[Path]) -> list[Job]:
        """A job for each hand-in that is new or changed (all with --force); the rest skipped."""
        source = read_tree(self.course / "source" / self.ps)
        inputs = grading_inputs(self.course, source)
        self.state = State(self.course, self.ps, self.db_url)
        have = G.submitted(self.db_url, self.course_id, self.ps)
        text = (self.course / config.CONFIG_FILE).read_text()
        jobs = []
        for folder in folders:
            student, handin = folder.parent.name, read_tree(folder)
            digest = handin_hash(handin, inputs)
            if not self.options.force and student in have and self.state.unchanged(student, digest):
                self.outcome.skipped.append(student)
                continue
            # local workers are processes of our own: nbgrader runs inside them; on Dask
            # (threads in a worker) each job starts a Python process for it
            jobs.append(Job(self.ps, student, digest, text, source, handin, b"", self.course_id,
                            in_process=self.client is None))
        if self.outcome.skipped:
            print(f"{self.ps}: {len(self.outcome.skipped)} unchanged hand-in(s) already graded, skipped "
                  "(--force regrades)")
        return jobs

    def start_workers(self, n_jobs: int) -> None:
        """The workers, and the sandbox check (in the background while they start and take
        their first jobs: `grade` waits for it before it writes or reports anything)."""
        self.sandbox = SandboxCheck(self.course, self.client)
        if self.client is not None:
            self.workers = DaskWorkers(self.client)
            return
        _remove_stale_scratch()
        self.tmp_root = tempfile.mkdtemp(prefix=f"{SCRATCH}{os.getpid()}-{self.ps}-")
        self.workers = LocalWorkers(min(self.options.workers or default_workers(), n_jobs))

    # -- 3. + 4. grade and write --------------------------------------------------------------
    def grade(self, jobs: list[Job], signals: Interrupts) -> None:
        from nbgrader.api import Gradebook
        from tqdm.auto import tqdm

        G.ensure_assignment(self.course, self.ps, self.db_url, self.course_id)
        template = G.make_template(self.db_url, self.course_id)
        for job in jobs:
            job.template, job.tmp_root = template, self.tmp_root
        self.workers.start(jobs)
        self.outcome.timings["setup"] = time.perf_counter() - self.t0
        self.sandbox.wait()  # GradingError: kernels cannot start here; the first jobs die unwritten
        print(f"{self.ps}: grading {len(jobs)} hand-in(s) on {self.workers.describe()}", flush=True)
        bar = tqdm(total=len(jobs), desc=f"grading {self.ps}", unit="hand-in", disable=not self.options.progress)
        try:
            with Gradebook(self.db_url, self.course_id) as gb:
                for job, result in self.workers.results():
                    t = time.perf_counter()
                    with signals.write():
                        self.write(gb, job, result)
                    self.outcome.timings["write"].append(time.perf_counter() - t)
                    self.outcome.timings["jobs"][job.student] = dict(result.phases, seconds=result.seconds)
                    bar.update()
        finally:
            bar.close()

    def write(self, gb, job: Job, result: Result) -> None:
        """Put one job's result into the course: nothing of a failed one (grades from an earlier,
        successful run stay as they were)."""
        student, out = job.student, self.outcome
        self._log(f"===== {student} ({result.host}, {result.seconds:.1f}s)\n{result.log}")
        if result.failure:
            out.failed[student] = result.failure
            self.state.record_failure(student, result.failure)
            return
        for kind in ("autograded", "feedback"):
            replace_tree(self.course / kind / student / self.ps, getattr(result, kind))
        if result.grades is not None:
            G.merge(gb, self.ps, student, result.grades)
            self.graded_data[student] = result.grades
        self.state.record(student, job.digest, result.seconds)
        out.failed.pop(student, None)
        out.graded.append(student)
        out.review[student] = result.review
        if result.notes:
            out.notes[student] = list(result.notes)

    def _log(self, text: str) -> None:
        """logs/autograde_<ps>.log: every job's nbgrader log, written as results come in."""
        if self.log is None:
            (self.course / "logs").mkdir(exist_ok=True)
            self.log = open(self.course / "logs" / f"autograde_{self.ps}.log", "w")
        self.log.write(text + "\n")
        self.log.flush()

    # -- 5. finish --------------------------------------------------------------------------
    def finish(self) -> None:
        if self.graded_data:
            G.refresh_manual_feedback(self.course, self.ps, self.db_url, self.course_id, self.graded_data)
        G.export_csv(self.db_url, self.course_id, self.course / "grades.csv")
        rows = scores(self.course, self.db_url, self.course_id, assignment=self.ps)
        have = {r["student"] for r in rows}
        rows += [{"student": s, "assignment": self.ps, "auto": None, "auto_max": None, "manual_max": None}
                 for s in sorted(self.outcome.failed) if s not in have]
        for r in rows:
            r["problem"] = self.outcome.failed.get(r["student"], "")
            r["note"] = "; ".join(self.outcome.notes.get(r["student"], []))
        self.outcome.rows = rows

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close(now=self.outcome.done < self.outcome.handins)
        elif self.client is not None:
            self.client.close()
        if self.tmp_root:
            shutil.rmtree(self.tmp_root, ignore_errors=True)
        if self.log is not None:
            self.log.close()

    def run(self) -> Outcome:
        """Check, plan, grade, write, finish.  GradingError: bad input, nothing graded.
        KeyboardInterrupt (also on SIGTERM): stopped; hand-ins written so far are kept."""
        self.t0 = time.perf_counter()
        try:
            folders = self.check()
            self.outcome.handins = len(folders)
            if not folders:
                print(f"{self.ps}: no hand-ins under {self.course / 'submitted'}/*/{self.ps}/: nothing to grade")
                return self.outcome
            with Interrupts() as signals:
                jobs = self.plan(folders)
                if jobs:
                    self.start_workers(len(jobs))
                    self.grade(jobs, signals)
        except KeyboardInterrupt:
            self.outcome.print_interrupted()
            raise
        finally:
            self.close()
        t = time.perf_counter()
        self.finish()
        self.outcome.timings["finish"] = time.perf_counter() - t
        self.outcome.seconds = time.perf_counter() - self.t0
        self.outcome.print_summary()
        return self.outcome


def grade_class(course: Path, ps: str, workers: int | None = None, force: bool = False,
                scheduler: str | None = None, db_url: str | None = None, progress: bool = True) -> dict:
    """Grade every hand-in of `ps` (GradingRun); returns Outcome.as_dict()."""
    return GradingRun(course, ps, Options(workers, force, scheduler, db_url, progress)).run().as_dict()


def _remove_stale_scratch() -> None:
    """Scratch courses of graders that were killed outright (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH}*"):
        try:
            pid = int(folder.name[len(SCRATCH):].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError):
            continue
