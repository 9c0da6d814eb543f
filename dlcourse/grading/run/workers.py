"""Where grading jobs run: local worker processes of our own, or a Dask cluster.

Both take jobs (run/job.py, `start`) and yield (job, result) as results come in (`results`).

LocalWorkers: one process per worker, spawned at once (they import nbgrader while the
grader prepares the jobs), one job at a time each, over a pipe of its own.  So a worker that
dies (killed, out of memory) is known with the job it had: that hand-in is graded again on a
fresh worker, once more at most (`attempts`), never lost or half-written.  Workers die with
the grader (PR_SET_PDEATHSIG), however it ends, and their kernels with them (the sandbox
runs kernels with --die-with-parent).

DaskWorkers: jobs on a Dask distributed cluster; Dask itself re-runs the job of a worker it lost.
"""
from __future__ import annotations

import os
import signal
from collections import deque
from typing import Callable, Iterator

from dlcourse.grading.outcomes import WORKER_DIED
from dlcourse.grading.run.job import Job, Result, grade_handin

ATTEMPTS = 2  # a hand-in whose worker died is graded once more


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the grader dies, even by SIGKILL."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def _serve(conn, parent: int) -> None:
    """A worker: take jobs from `conn` until None, send back each result."""
    import warnings

    from sqlalchemy.exc import SAWarning

    _die_with_parent()
    if os.getppid() != parent:  # the grader died before the line above
        return
    # Ctrl-C in the terminal reaches the whole process group: the grader decides (it stops the
    # workers).  A handler, not SIG_IGN: kernels must not inherit it.
    signal.signal(signal.SIGINT, lambda *_: None)
    warnings.simplefilter("ignore", SAWarning)  # nbgrader's autoflush chatter, harmless
    import nbgrader.converters  # noqa: F401  (once per worker, while the grader prepares)

    import dlcourse.grading.execute  # noqa: F401
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            result = grade_handin(job)
        except Exception as exc:  # noqa: BLE001  (the job itself crashed: reported, not fatal)
            result = Result(job.student, failure=f"grading job failed: {type(exc).__name__}: {exc}")
        conn.send(result)


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None


class LocalWorkers:

    def __init__(self, n: int, notice: Callable[[str], None] = print, attempts: int = ATTEMPTS):
        import multiprocessing as mp

        self.ctx = mp.get_context("spawn")
        self.workers = [_Worker(self.ctx) for _ in range(n)]
        self.notice, self.attempts = notice, attempts
        self.queue: deque[Job] = deque()
        self.tries: dict[str, int] = {}

    def describe(self) -> str:
        return f"{len(self.workers)} local worker(s)"

    def start(self, jobs: list[Job]) -> None:
        """Send the first jobs to the workers now; the rest as workers become free (`results`)."""
        self.queue, self.tries = deque(jobs), {}
        self._dispatch([])

    def _dispatch(self, done: list) -> None:
        """A job to every idle worker (a worker that died idle is replaced first)."""
        for i, w in enumerate(self.workers):
            if w.job is None and self.queue:
                if not w.process.is_alive():
                    w.conn.close()
                    w = self.workers[i] = _Worker(self.ctx)
                w.job = self.queue.popleft()
                self.tries[w.job.student] = self.tries.get(w.job.student, 0) + 1
                try:
                    w.conn.send(w.job)
                except OSError:  # it died as the job was sent
                    done.append((w.job, self._replace(w)))

    def results(self) -> Iterator[tuple[Job, Result]]:
        """(job, result) as they come in; a job whose worker died is sent again (or fails)."""
        from multiprocessing.connection import wait

        while self.queue or any(w.job for w in self.workers):
            done = []
            self._dispatch(done)
            busy = [w for w in self.workers if w.job]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy])) if busy else set()
            for w in busy:
                if w.conn in ready or w.process.sentinel in ready:
                    done.append((w.job, self._receive(w)))
            for job, result in done:  # (job, its result or None: its worker died)
                if result is not None:
                    yield job, result
                elif self.tries[job.student] < self.attempts:
                    self.notice(f"    {job.student}/{job.ps}: {WORKER_DIED}; grading it again")
                    self.queue.appendleft(job)
                else:
                    yield job, Result(job.student, failure=f"{WORKER_DIED} ({self.tries[job.student]} times)")

    def _receive(self, w: _Worker) -> Result | None:
        """The worker's result, or None if it died (then a fresh worker takes its place)."""
        try:
            if w.conn.poll():
                result = w.conn.recv()
                w.job = None
                return result
        except (EOFError, OSError):
            pass
        return self._replace(w)

    def _replace(self, w: _Worker) -> None:
        """A fresh worker in the place of `w`, which died."""
        w.process.join(timeout=5)
        if w.process.is_alive():
            w.process.kill()
        w.conn.close()
        self.workers[self.workers.index(w)] = _Worker(self.ctx)

    def close(self, now: bool) -> None:
        """Stop the workers: `now` kills them (and their kernels) mid-job; else they finish."""
        for w in self.workers:
            if now and w.process.is_alive():
                w.process.terminate()
            elif not now:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
        for w in self.workers:
            w.process.join(timeout=10)
            if w.process.is_alive():
                w.process.kill()
            w.conn.close()


class DaskWorkers:

    def __init__(self, client):
        self.client = client
        self.futures: dict = {}

    def describe(self) -> str:
        n = len(self.client.scheduler_info().get("workers", {}))
        return f"Dask cluster {self.client.scheduler.address} ({n} workers)"

    def start(self, jobs: list[Job]) -> None:
        self.futures = {self.client.submit(grade_handin, job, key=f"grade-{job.ps}-{job.student}-{job.digest[:12]}",
                                           pure=False): job for job in jobs}

    def results(self) -> Iterator[tuple[Job, Result]]:
        from distributed import as_completed

        for fut in as_completed(self.futures):
            job = self.futures[fut]
            try:
                yield job, fut.result()
            except Exception as exc:  # noqa: BLE001  (the job crashed on every worker Dask tried)
                yield job, Result(job.student, failure=f"grading job failed: {type(exc).__name__}: {exc}")

    def close(self, now: bool) -> None:
        self.client.close()
