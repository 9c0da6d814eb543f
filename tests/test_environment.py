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


def _lock(group: str) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, hashes)} of requirements/<group>.lock."""
    entries, name = {}, None
    for line in (ROOT / "requirements" / f"{group}.lock").read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if pin:
            name = pin.group(1).lower().replace("_", "-")
            entries[name] = (pin.group(2), [])
        elif name and "--hash=sha256:" in line:
            entries[name][1].append(line.split("--hash=sha256:")[1].split()[0])
    return entries


def _group(name: str) -> list[str]:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return [re.split(r"[=<>\[; ]", r)[0].lower().replace("_", "-") for r in extras[name]]


def test_locks_pin_every_package_with_hashes():
    """Each group's lock (scripts/lock.sh) pins every package, direct or not, with its hashes; the
    groups add up (grader = student + grader, dev = all); torch is the CPU build of 2.13.0 and
    torchvision is nowhere."""
    locks = {g: _lock(g) for g in ("student", "grader", "dev")}
    for group, lock in locks.items():
        unhashed = [n for n, (_, hashes) in lock.items() if not hashes]
        assert not unhashed, f"{group}.lock: no hash for {unhashed}"
        assert lock["torch"][0] == "2.13.0+cpu" and "torchvision" not in lock
    wanted = {"student": ["student"], "grader": ["student", "grader"], "dev": ["student", "grader", "dev"]}
    for group, groups in wanted.items():
        missing = [n for g in groups for n in _group(g) if n not in locks[group]]
        assert not missing, f"{group}.lock lacks {missing}: run scripts/lock.sh"
    # (some of the grader group are also nbgrader's own dependencies, SQLAlchemy: those stay)
    for group, absent in (("student", ["dask", "distributed", "psycopg2-binary", "pytest", "playwright"]),
                          ("grader", _group("dev"))):
        carried = [n for n in absent if n in locks[group]]
        assert not carried, f"{group}.lock carries {carried}"


def test_the_environment_is_the_lock():
    """What set-up installed (scripts/setup_env.sh: requirements/dev.lock) is what this runs in."""
    import sysconfig
    from importlib import metadata

    # the environment's site-packages only (setuptools puts its vendored copies on sys.path)
    site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    installed = {d.metadata["Name"].lower().replace("_", "-"): d.version
                 for d in metadata.distributions(path=sorted(site))}
    drift = {n: (v, installed.get(n)) for n, (v, _) in _lock("dev").items()
             if n not in ("pip", "setuptools", "wheel") and installed.get(n) != v}
    assert not drift, f"installed versions differ from requirements/dev.lock (make setup): {drift}"


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
