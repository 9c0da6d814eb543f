"""The student kit, built once per test session and installed as a student installs it; shared by
test_kit.py and test_lab_browser.py (one xdist group, so one worker builds it)."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from dlcourse.handin import kit as student_kit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def kit(tmp_path_factory):
    return student_kit.build(tmp_path_factory.mktemp("kit"))


@pytest.fixture(scope="session")
def kit_env(kit):
    """The kit installed as its README says (`python -m pip install -e .` in a fresh virtualenv), except
    that the packages come from the course's environment through a .pth file (no 2 GB download), so
    `import utils` and `import dlcourse` mean the kit's own; the environment to run its commands in."""
    folder = kit[0]
    venv = folder / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_course_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    course_venv = Path(sys.prefix)
    for shared in ("share", "etc"):      # JupyterLab's assets and the nbgrader extensions' switches
        (venv / shared).symlink_to(course_venv / shared)
    proc = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                           "--no-build-isolation", "-e", "."], cwd=folder, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (venv / ".installed").touch()        # what the kit's Makefile leaves when its set-up is done
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MNIST_DIR"] = str(ROOT / "datasets" / "mnist")   # the kit's set-up copies MNIST from here
    return env
