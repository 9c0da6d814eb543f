"""JupyterLab with the course's Hand in button: the `lab` command of the course and of the student kit.

    python -m dlcourse.handin.lab [--student ID] [--instructor] [--notebook-dir DIR] [JupyterLab options]
    make lab student=jdoe

Opens JupyterLab 4 on the problem sets (release/ of the folder this package sits
in) with the hand-in service (server.py) and the prebuilt Hand in extension
(labextension/prebuilt: no Node.js needed).  The student view -- the default,
what the kit runs -- hides nbgrader's instructor tools (formgrader, course list,
create assignment; validate and the assignment list stay) and JupyterLab's news
prompt; --instructor keeps them.  The first start fetches MNIST into
datasets/mnist (checked by SHA-256).  The same on Linux, macOS and Windows:
no make, no sudo.  Other options go to JupyterLab (e.g. --no-browser, --port).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PREBUILT = HERE / "labextension" / "prebuilt"
CONFIG = HERE / "jupyter_config"
ENV_STUDENT = "HANDIN_STUDENT"


def course_folder() -> Path:
    """The folder with release/: where this package sits (course or kit), else the current one."""
    return ROOT if (ROOT / "release").is_dir() else Path.cwd()


def jupyter_setup(instructor: bool, student: str, environ: dict | None = None) -> dict:
    """The environment JupyterLab starts with: the hand-in service's config, and for students the
    config that hides the instructor tools, ahead of any other config folder."""
    env = dict(os.environ if environ is None else environ)
    folders = [str(CONFIG / "lab")] if instructor else [str(CONFIG / "student"), str(CONFIG / "lab")]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(folders + [p for p in [env.get("JUPYTER_CONFIG_PATH")] if p])
    if student:
        env[ENV_STUDENT] = student
    if instructor:
        env["COURSE_ALLOW_UNSANDBOXED"] = "1"   # the instructor runs trusted notebooks without the grading sandbox
    return env


def lab_args(notebook_dir: Path, rest: list[str], uid: int | None = None) -> list[str]:
    """JupyterLab's command-line options; --allow-root only as root (JupyterLab refuses root without it)."""
    uid = (os.geteuid() if hasattr(os, "geteuid") else None) if uid is None else uid
    args = [f"--notebook-dir={notebook_dir}", f"--LabApp.extra_labextensions_path={PREBUILT}", *rest]
    if uid == 0 and "--allow-root" not in rest:
        args.append("--allow-root")
    return args


def fetch_mnist(folder: Path) -> None:
    """MNIST for ps5, once; without it the other problem sets still work, so a failure only warns."""
    data = folder / "datasets" / "mnist"
    if not (data / "SHA256SUMS").is_file() or (data / ".verified").is_file():
        return
    from utils import mnist

    print("lab: fetching MNIST (once) ...", flush=True)
    if mnist.main(["--fetch"]) != 0:
        print("lab: MNIST is not there yet (ps5 needs it); JupyterLab starts anyway.", file=sys.stderr)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="JupyterLab on the problem sets, with the Hand in button.")
    ap.add_argument("--student", default="", help="your student id (names the hand-in zip; else JupyterLab asks)")
    ap.add_argument("--instructor", action="store_true", help="keep nbgrader's instructor tools")
    ap.add_argument("--notebook-dir", type=Path, default=None, help="default: release/ of the course folder")
    known, rest = ap.parse_known_args(argv)
    folder = course_folder()
    notebook_dir = (known.notebook_dir or folder / "release").resolve()
    if not notebook_dir.is_dir():
        print(f"lab: {notebook_dir} is not a folder: run this in the course (or kit) folder.", file=sys.stderr)
        return 2
    fetch_mnist(folder)
    os.environ.update(jupyter_setup(known.instructor, known.student.strip()))
    from jupyterlab.labapp import LabApp

    LabApp.launch_instance(argv=lab_args(notebook_dir, rest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
