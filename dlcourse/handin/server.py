"""The hand-in service behind JupyterLab's "Hand in" button: a jupyter_server extension.

REST API under <base_url>dlcourse/handin/ (labextension/src/api.ts has the JSON's types):

    GET    info?path=<nb>   the student id the server knows, the notebook's last hand-in zip
    POST   jobs             {"path", "skip_check", "student"?}: start a hand-in -> 202, the job
    GET    jobs             running and recent jobs, newest first
    GET    jobs/<id>        one job: stage, progress and, once it ended, its result
    DELETE jobs/<id>        stop it

A job runs the command-line hand-in (`python -m dlcourse.handin.handin ... --json`) in a
process of its own, so the server's event loop, environment and kernels stay untouched,
and follows its progress and result (JSON lines on the process's stdout) from a thread.
An expected outcome -- tests fail, no browser for the PDF -- is a result (HTTP 200), never
an error page, and reaches the terminal as one info line.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from dlcourse.handin.handin import handin_name, safe_name, zip_info

ENV_STUDENT = "HANDIN_STUDENT"
KEEP = 20               # jobs remembered
TIMEOUT = 1800          # seconds for self-check + PDF (cells time out after 180 s each)
STAGES = {"check": "Self-check: starting the kernel", "pdf": "Making the PDF", "zip": "Zipping"}


@dataclass
class Job:
    path: str                      # server-relative, as JupyterLab's contents API names it
    file: Path
    skip_check: bool
    student: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "running"         # running / done / failed / cancelled
    stage: str = "check"
    stage_label: str = ""
    progress: dict | None = None
    started: float = field(default_factory=time.time)
    ended: float | None = None
    result: dict | None = None
    message: str | None = None
    proc: subprocess.Popen | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "skip_check": self.skip_check, "student": self.student,
                "state": self.state, "stage": self.stage, "stage_label": self.stage_label or STAGES[self.stage],
                "progress": self.progress, "elapsed": round((self.ended or time.time()) - self.started, 1),
                "started": _dt.datetime.fromtimestamp(self.started).astimezone().isoformat(timespec="seconds"),
                "result": self.result, "message": self.message}

    def hear(self, event: dict) -> None:
        """One JSON line of the hand-in process."""
        if event.get("event") == "result":
            self.result = event["result"]
            return
        self.stage = event.get("stage", self.stage)
        done, total = event.get("done", 0), event.get("total", 0)
        self.progress = {"done": done, "total": total} if total else None
        self.stage_label = (f"Self-check: running cell {done + 1} of {total}" if self.stage == "check" and total
                            else STAGES.get(self.stage, self.stage))


class Jobs:
    """The server's hand-in jobs, each a process followed by a thread."""

    def __init__(self, root: Path, student: str, log):
        self.root, self.student, self.log = root, student, log
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def notebook(self, path: str) -> Path:
        file = (self.root / path).resolve()
        if not path or file.suffix != ".ipynb" or not file.is_relative_to(self.root) or not file.is_file():
            raise ValueError(f"{path or 'that'} is not a saved notebook in this folder.")
        return file

    def start(self, path: str, skip_check: bool, student: str) -> Job:
        file = self.notebook(path)
        with self.lock:
            running = [j for j in self.jobs.values() if j.path == path and j.state == "running"]
            if running:
                return running[0]
            job = Job(path, file, skip_check, student)
            self.jobs[job.id] = job
            for old in sorted(self.jobs.values(), key=lambda j: j.started)[:-KEEP]:
                self.jobs.pop(old.id)
        cmd = [sys.executable, "-m", "dlcourse.handin.handin", str(file), "--student", student, "--json",
               "--no-check" if skip_check else "--strict"]
        job.proc = subprocess.Popen(cmd, cwd=file.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL, text=True, encoding="utf-8", errors="replace")
        threading.Thread(target=self._follow, args=(job,), daemon=True, name=f"handin-{job.id}").start()
        self.log.info("Hand-in of %s started (%s)", path, "without self-check" if skip_check else "self-check")
        return job

    def _follow(self, job: Job) -> None:
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.extend(job.proc.stderr), daemon=True)
        reader.start()
        timer = threading.Timer(TIMEOUT, job.proc.kill)
        timer.start()
        for line in job.proc.stdout:
            try:
                job.hear(json.loads(line))
            except (ValueError, KeyError, TypeError):
                errors.append(line)      # not ours: a stray print, kept for the message
        job.proc.wait()
        timer.cancel()
        reader.join(5)
        self._end(job, errors)

    def _end(self, job: Job, errors: list[str]) -> None:
        job.ended, job.stage, job.stage_label = time.time(), "done", "Done"
        if job.state == "cancelled":
            job.result = None
        elif job.result is None:
            lines = [e.strip() for e in errors if e.strip()]
            job.state = "failed"
            job.message = (f"The hand-in stopped unexpectedly (exit code {job.proc.returncode}): "
                           + (lines[-1] if lines else "no message") + " -- the server's terminal has the details.")
            self.log.warning("Hand-in of %s failed:\n%s", job.path, "".join(errors[-40:]))
        else:
            job.state = "done"
            zip_ = job.result.get("zip")
            if zip_:
                zip_["path"] = Path(zip_["path"]).resolve().relative_to(self.root).as_posix()
            said = f"made {zip_['name']}" if zip_ else ("not made: " + (job.result.get("error") or
                                                                         job.result.get("summary", "")))
            self.log.info("Hand-in of %s %s (%.0f s)", job.path, said, job.ended - job.started)

    def cancel(self, job: Job) -> None:
        if job.state == "running" and job.proc is not None:
            job.state = "cancelled"
            job.proc.terminate()

    def last_zip(self, path: str, student: str) -> dict | None:
        """The notebook's hand-in zip, if there is one: the student's, else the newest of any id."""
        file = self.notebook(path)
        if safe_name(student):
            found = [file.parent / handin_name(file, student)]
        else:
            found = sorted(file.parent.glob(f"{file.stem}_{safe_name(file.parent.name)}_*.zip"),
                           key=lambda p: p.stat().st_mtime)[-1:]
        info = zip_info(found[0]) if found else None
        if info:
            info["path"] = found[0].resolve().relative_to(self.root).as_posix()
        return info


class _Handler(APIHandler):
    def initialize(self, jobs: Jobs):
        self.jobs = jobs

    def reply(self, status: int, body) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    def refuse(self, message: str, reason: str = "") -> None:
        """Bad input: 400 and one line, nothing in the terminal beyond tornado's access line."""
        self.reply(400, {"message": message, "reason": reason})


class InfoHandler(_Handler):
    @web.authenticated
    def get(self):
        path = self.get_argument("path", "")
        try:
            last = self.jobs.last_zip(path, self.jobs.student) if path else None
        except ValueError:
            last = None
        self.reply(200, {"student": self.jobs.student, "last": last})


class JobsHandler(_Handler):
    @web.authenticated
    def get(self):
        jobs = sorted(self.jobs.jobs.values(), key=lambda j: j.started, reverse=True)
        self.reply(200, [j.to_json() for j in jobs])

    @web.authenticated
    def post(self):
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            return self.refuse("The request is not JSON.")
        student = self.jobs.student or str(body.get("student") or "").strip()
        if not safe_name(student):
            return self.refuse("Your student id is not set: it names the hand-in zip.", "student")
        try:
            job = self.jobs.start(str(body.get("path") or ""), bool(body.get("skip_check")), student)
        except ValueError as e:
            return self.refuse(str(e), "path")
        self.reply(202, job.to_json())


class JobHandler(_Handler):
    def _job(self, job_id: str) -> Job | None:
        job = self.jobs.jobs.get(job_id)
        if job is None:
            self.reply(404, {"message": "No such hand-in (the server was restarted?): hand in again."})
        return job

    @web.authenticated
    def get(self, job_id):
        job = self._job(job_id)
        if job:
            self.reply(200, job.to_json())

    @web.authenticated
    def delete(self, job_id):
        job = self._job(job_id)
        if job:
            self.jobs.cancel(job)
            self.set_status(204)
            self.finish()


def _jupyter_server_extension_points():
    return [{"module": "dlcourse.handin.server"}]


def _load_jupyter_server_extension(serverapp):
    jobs = Jobs(Path(serverapp.root_dir).resolve(), os.environ.get(ENV_STUDENT, "").strip(), serverapp.log)
    base = url_path_join(serverapp.web_app.settings["base_url"], "dlcourse", "handin")
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "info"), InfoHandler, {"jobs": jobs}),
        (url_path_join(base, "jobs"), JobsHandler, {"jobs": jobs}),
        (url_path_join(base, r"jobs/([0-9a-f]+)"), JobHandler, {"jobs": jobs}),
    ])
    serverapp.log.info("dlcourse.handin: the Hand in service is at %s", base)
