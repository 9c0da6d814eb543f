"""The course folder: where it is, its assignments, and running nbgrader in it.

Shared by every stage (authoring, grading, handin, term); imports no stage.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def assignments(course: Path) -> list[str]:
    """The assignments of a course: the folders of source/ that hold notebooks."""
    return sorted(p.name for p in (course / "source").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def copy_course(dest: Path, names: list[str] | None = None) -> Path:
    """A fresh course folder at dest: the configuration and source/ of the given assignments."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    for ps in names or assignments(ROOT):
        shutil.copytree(ROOT / "source" / ps, dest / "source" / ps)
    return dest


def venv_env() -> dict:
    """The environment with this Python's bin/ first on PATH (nbgrader runs `alembic` from PATH)."""
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course folder with the course's config."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True, env=venv_env())
    if check and proc.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed ({proc.returncode}):\n"
                           + proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc
