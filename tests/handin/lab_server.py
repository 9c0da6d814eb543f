"""A real JupyterLab server for the tests, started with a course's (or the student kit's) own `make lab` command.

    with LabServer(course, notebook_dir, scratch, make_args=("student=jdoe",)) as lab:
        lab.get("/api/status").json()
        kernel = lab.start_notebook_kernel("ps1/gradient_descent.ipynb")
        out = lab.execute(kernel, "import utils; print(utils.__file__)")

The command is read from `make -n lab` in the course folder (so the test runs
what students run, --allow-root included or not), with the notebook folder
swapped for `notebook_dir` and a free port, a token and no browser added.  Runtime, config and workspace files
go to a scratch folder; the server (and its kernels) is stopped on exit.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import requests


def lab_command(course: Path, make_args: tuple[str, ...] = (), env: dict | None = None) -> str:
    """The shell line `make lab` runs in `course` (the JupyterLab one, past any set-up lines)."""
    proc = subprocess.run(["make", "-n", "-s", "-C", str(course), "lab", *make_args], capture_output=True,
                          text=True, timeout=60, env=env)
    assert proc.returncode == 0, f"`make -n lab` failed in {course}:\n{proc.stdout}{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if re.search(r"-m dlcourse\.handin\.lab\b.*--notebook-dir=", line)]
    assert len(lines) == 1, f"`make lab` in {course} should run one JupyterLab command, found:\n{proc.stdout}"
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    def __init__(self, course: Path, notebook_dir: Path, scratch: Path, env: dict | None = None,
                 make_args: tuple[str, ...] = (), start_timeout: float = 60, extra_args: tuple[str, ...] = ()):
        self.course, self.notebook_dir, self.scratch = Path(course), Path(notebook_dir), Path(scratch)
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env, self.make_args, self.start_timeout, self.extra_args = env, make_args, start_timeout, extra_args
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {self.token}"
        self.proc = None

    # -------------------------------------------------------------- lifetime
    def __enter__(self):
        command = re.sub(r"--notebook-dir=\S+", f"--notebook-dir='{self.notebook_dir}'", lab_command(self.course, self.make_args))
        command += (f" --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={self.port}"
                    f" --ServerApp.port_retries=0 --IdentityProvider.token={self.token}"
                    + "".join(f" {arg}" for arg in self.extra_args))
        for name in ("runtime", "config", "workspaces"):
            (self.scratch / name).mkdir(parents=True, exist_ok=True)
        env = dict(self.env if self.env is not None else os.environ,
                   JUPYTER_RUNTIME_DIR=str(self.scratch / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.scratch / "config"),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.scratch / "workspaces"))
        self.log = open(self.scratch / "server.log", "w+")
        self.command = command
        self.proc = subprocess.Popen(["bash", "-c", command], cwd=self.course, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"JupyterLab exited ({self.proc.returncode}) at start:\n{self.log_text()}")
            try:
                if self.session.get(self.url + "/api/status", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise AssertionError(f"JupyterLab did not answer within {self.start_timeout:.0f} s:\n{self.log_text()}")

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)   # the server stops its kernels
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-4000:]

    # -------------------------------------------------------------- HTTP
    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.session.post(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    # -------------------------------------------------------------- kernels
    def start_notebook_kernel(self, path: str) -> str:
        """Open `path` (relative to the notebook folder) as JupyterLab does: a notebook session; its kernel id."""
        r = self.post("/api/sessions", json={"path": path, "name": Path(path).name, "type": "notebook",
                                              "kernel": {"name": "python3"}})
        assert r.status_code == 201, f"could not start a kernel for {path}: {r.status_code} {r.text[:500]}"
        return r.json()["kernel"]["id"]

    def execute(self, kernel_id: str, code: str, timeout: float = 60) -> dict:
        """Run `code` in the kernel over its websocket: {'stdout': ..., 'error': (ename, evalue) or None}."""
        import websocket

        ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/api/kernels/{kernel_id}/channels",
                                         header=[f"Authorization: token {self.token}"], timeout=timeout)
        msg_id, out, error, replied, idle = uuid.uuid4().hex, [], None, False, False
        try:
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                           "session": uuid.uuid4().hex, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            deadline = time.monotonic() + timeout
            while not (replied and idle):
                if time.monotonic() > deadline:
                    raise AssertionError(f"kernel gave no reply within {timeout:.0f} s; output so far: {out}")
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["header"]["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind == "error":
                    error = (content["ename"], content["evalue"])
                elif kind == "execute_reply":
                    replied = True
                elif kind == "status" and content["execution_state"] == "idle":
                    idle = True
        finally:
            ws.close()
        return {"stdout": "".join(out), "error": error}
