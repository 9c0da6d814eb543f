"""The student kit (dlcourse/handin/kit.py, `make student-kit`): what it holds, and that it works.

The kit is built into a scratch folder (tests/handin/conftest.py).  Contents: exactly the
files students need (no source/, tests/, dlcourse/authoring, grading, term or cli, gradebook,
MNIST files); its pyproject.toml installs the course's student dependency group and nothing
else; its notebooks pass test_pipeline's own no-solutions check; no line of a hidden test
appears in any of its files; its datasets match their checksums; its README is the course
README's student section.

Then it is used as a student would: installed by pip, editable, in a virtualenv whose
packages are the course's (conftest.py); inside the kit, `make handin` on a blank release
notebook (self-check in words, PDF, zip), and its kernels import the kit's utils.  Its
JupyterLab (Hand in button, no instructor tools) is driven in a real browser by
test_lab_browser.py.
"""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests import test_pipeline
from tests.handin.test_handin import _need_pdf_tools
from dlcourse.handin import kit as student_kit
from dlcourse.course import assignments
from utils.mnist import expected_sums, sha256

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "release/ps1/gradient_descent.ipynb"
STUDENT = "kit.tester"

pytestmark = pytest.mark.xdist_group("student_kit")


def _kit_listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and ".venv" not in p.parts and "__pycache__" not in p.parts
            and not p.name.endswith(".egg-info") and ".egg-info" not in p.parts}


# ------------------------------------------------------------------ contents

def test_kit_holds_exactly_what_students_need(kit):
    folder, archive = kit
    files = _kit_listing(folder)
    assert files == set(student_kit.kit_files()) | {"README.md", "pyproject.toml"}
    with zipfile.ZipFile(archive) as zf:
        assert {n.removeprefix(f"{student_kit.NAME}/") for n in zf.namelist()} == files
    notebooks = {f for f in files if f.endswith(".ipynb")}
    assert notebooks == {f"release/{p.relative_to(ROOT / 'release').as_posix()}"
                         for p in (ROOT / "release").rglob("*.ipynb")}
    assert {"Makefile", "README.md", "pyproject.toml", "nbgrader_config.py", "dlcourse/handin/handin.py",
            "dlcourse/handin/server.py", "dlcourse/handin/lab.py", "dlcourse/handin/templates/handin_pdf/index.html.j2",
            "dlcourse/handin/labextension/prebuilt/dlcourse-handin/package.json", "utils/__init__.py",
            "datasets/mnist/SHA256SUMS"} <= files
    forbidden = [f for f in files if re.match(r"(source|tests|submitted|autograded|feedback|exchange|scripts)/"
                                              r"|notebooks/|dlcourse/(authoring|grading|term|cli)/|gradebook|.*\.gz$"
                                              r"|dlcourse/handin/(kit|exporter)\.py|.*/(src|node_modules)/", f)]
    assert not forbidden, f"instructor or build files in the student kit: {forbidden}"


def test_kit_installs_the_student_group_only(kit):
    """`python -m pip install -e .` in the kit installs the course's student dependency group, nothing else."""
    import tomllib

    kit_project = tomllib.loads((kit[0] / "pyproject.toml").read_text())["project"]
    course = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # the same pins, less local versions (torch's +cpu build is on PyTorch's index only, not on PyPI)
    assert kit_project["dependencies"] == [re.sub(r"\+\w+$", "", d) for d in course["optional-dependencies"]["student"]]
    assert "torch==2.13.0" in kit_project["dependencies"] and "django-static-mathjax==3.2.2.1" in kit_project["dependencies"]
    names = {re.split(r"[=<>~!\[ ]", d)[0].lower() for d in kit_project["dependencies"]}
    assert {"jupyterlab", "nbgrader", "torch"} <= names
    assert not names & {"dask", "distributed", "psycopg2-binary", "pytest", "playwright", "jupytext"}, names
    assert kit_project["scripts"]["dl-lab"] == "dlcourse.handin.lab:main"


def test_kit_notebooks_have_no_solutions(kit, monkeypatch):
    """test_pipeline's check of release/, run on the kit's release/."""
    monkeypatch.setattr(test_pipeline, "ROOT", kit[0])
    test_pipeline.test_release_has_no_solutions()


def test_no_hidden_test_line_in_any_kit_file(kit):
    folder = kit[0]
    secret = set()
    for ps in assignments(ROOT):
        for source_nb in (ROOT / "source" / ps).glob("*.ipynb"):
            secret |= test_pipeline._hidden_lines(source_nb)
    assert len(secret) > 20
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":
                text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            # whole lines (a hidden line can be the start of a longer visible one; dlcourse/cells.py,
            # which the kit carries, names the markers inside its text, never as a line of their own)
            lines = {line.strip() for line in text.splitlines()}
            for marker in ("### BEGIN HIDDEN TESTS", "### BEGIN SOLUTION", "### END HIDDEN TESTS"):
                assert marker not in lines, f"{path.relative_to(folder)} contains {marker}"
            leaked = secret & lines
            assert not leaked, f"{path.relative_to(folder)} holds hidden-test lines: {sorted(leaked)[:3]}"


def test_kit_datasets_match_their_checksums(kit):
    datasets = kit[0] / "datasets"
    folders = sorted(p for p in datasets.iterdir() if p.is_dir())
    assert {p.name for p in folders} == {p.name for p in (ROOT / "datasets").iterdir() if p.is_dir()}
    for folder in folders:
        sums = expected_sums(folder)
        if folder.name == "mnist":   # fetched by the kit's set-up
            assert not list(folder.glob("*.gz")) and len(sums) == 4
            continue
        assert sums and all(sha256(folder / name) == digest for name, digest in sums.items()), folder


def test_kit_readme_is_the_student_section(kit):
    readme = (kit[0] / "README.md").read_text()
    assert "### Get started" in readme and "### Hand in" in readme and "### Troubleshooting" in readme
    assert "## For instructors" not in readme and "make grade" not in readme
    assert "python -m pip install -e ." in readme and "python -m dlcourse.handin.lab" in readme
    assert "make lab" in readme and "Hand in" in readme and "500" not in readme


def test_kit_needs_its_notebooks(tmp_path):
    (tmp_path / "release").mkdir()
    for name in ("README.md", "pyproject.toml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    with pytest.raises(student_kit.KitError, match="files for the kit are missing"):
        student_kit.kit_files(tmp_path)


# ------------------------------------------------------------------ using it

def test_make_handin_inside_the_kit(kit, kit_env, tmp_path):
    _need_pdf_tools()
    folder = kit[0]
    proc = subprocess.run(["make", "-s", "handin", f"nb={NOTEBOOK}", f"student={STUDENT}", f"out={tmp_path}"],
                          cwd=folder, env=kit_env, capture_output=True, text=True, timeout=600)
    report = proc.stdout + proc.stderr
    print(report)
    assert proc.returncode == 0, report
    assert (folder / "datasets" / "mnist" / ".verified").is_file(), "the kit's set-up did not fetch MNIST"
    assert "visible test cells FAIL" in report and "`grad_x_f` is not written yet" in report
    assert "ModuleNotFoundError" not in report and "could not be run" not in report
    zip_path = tmp_path / f"gradient_descent_ps1_{STUDENT}.zip"
    assert f"Hand-in ready: {zip_path}" in report
    with zipfile.ZipFile(zip_path) as zf:
        assert sorted(zf.namelist()) == ["gradient_descent.ipynb", "gradient_descent.pdf"]
        assert zf.read("gradient_descent.pdf").startswith(b"%PDF")


def test_kit_kernels_import_the_kits_own_code(kit, kit_env):
    python = kit[0] / ".venv" / "bin" / "python"
    proc = subprocess.run([python, "-c", "import utils, dlcourse.handin.server as s; print(utils.__file__); print(s.__file__)"],
                          cwd=kit[0] / "release", env=kit_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(kit[0] / "utils" / "__init__.py"), str(kit[0] / "dlcourse" / "handin" / "server.py")]
