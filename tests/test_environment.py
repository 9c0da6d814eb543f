"""The environment the set-up builds: pinned versions, nbgrader's JupyterLab extensions."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(*args) -> tuple[int, str]:
    proc = subprocess.run([str(BIN / "jupyter"), *args], capture_output=True, text=True)
    return proc.returncode, ANSI.sub("", proc.stdout + proc.stderr)


def test_requirements_are_all_pinned():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    loose = [l for l in lines if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", l)]
    assert not loose, f"unpinned requirements: {loose}"
    assert "torch==2.13.0" in lines
    assert not any(l.lower().startswith("torchvision") for l in lines)


def test_key_versions():
    import nbgrader
    import torch

    assert torch.__version__.split("+")[0] == "2.13.0"
    assert nbgrader.__version__ == "0.9.6"
    assert importlib.util.find_spec("torchvision") is None


def test_nbgrader_lab_extension_enabled():
    code, text = _run("labextension", "list")
    assert code == 0, text
    line = next((l for l in text.splitlines() if "@jupyter/nbgrader" in l), "")
    assert "enabled" in line and "OK" in line, f"nbgrader lab extension not enabled:\n{text}"
    assert "error" not in text.lower(), text


def test_nbgrader_server_extension_enabled():
    code, text = _run("server", "extension", "list")
    for ext in ("formgrader", "validate_assignment", "assignment_list"):
        assert re.search(rf"nbgrader.server_extensions.{ext}\s+OK", text), text
    assert re.search(r"nbgrader\S*\s+enabled", text), text


def test_make_clean_removes_only_what_commands_rebuild(tmp_path):
    """`make clean` in a course folder: rebuildable outputs go; grading data and the committed
    benchmark reports stay."""
    import shutil
    import subprocess
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "Makefile", course / "Makefile")
    keep = ["submitted/jdoe/ps1/gradient_descent.ipynb", "autograded/jdoe/ps1/gradient_descent.ipynb",
            "feedback/jdoe/ps1/gradient_descent.html", "gradebook.db", "grades.csv", ".grading/ps1.json",
            "logs/autograde_ps1.log", "reports/bench_grading.md", "reports/bench_mlp.json",
            "release/ps1/gradient_descent.ipynb", "source/ps1/gradient_descent.ipynb", ".venv/bin/python"]
    gone = ["build/student-kit/dl-ground-up.zip", "reports/ps1/index.html", "reports/pdfs/ps1.pdf",
            "manual/ps1/jdoe.pdf", "export/ps1/canvas_grades.csv", "utils/__pycache__/x.pyc", ".pytest_cache/v"]
    for rel in keep + gone:
        (course / rel).parent.mkdir(parents=True, exist_ok=True)
        (course / rel).write_text("x")
    proc = subprocess.run(["make", "clean"], cwd=course, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert [rel for rel in keep if not (course / rel).exists()] == []
    assert [rel for rel in gone if (course / rel).exists()] == []
