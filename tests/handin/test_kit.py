"""The student kit (dlcourse/handin/kit.py, `make student-kit`): what it holds, and that it works.

The kit is built into a scratch folder.  Contents: exactly the files students
need (no source/, tests/, dlcourse/authoring/datasets, gradebook, instructor tools, MNIST
files); its notebooks pass test_pipeline's own no-solutions check; no line of a
hidden test appears in any of its files; its datasets match their checksums;
its README is the course README's student section.

Then it is used as a student would.  Its environment is a virtualenv whose
packages are the course's (the same pinned requirements.txt, reached through
a .pth file instead of a 2 GB download) with the kit itself installed by pip,
editable, as the kit's set-up does -- so `import utils` and `import tools`
mean the kit's own.  Inside the kit: `make handin` on a blank release notebook
(self-check in words, PDF, zip), and `make lab student=...`, whose JupyterLab
offers the export formats `handin` and `handin_skip_check` (File > Save and
Export Notebook As): Handin on the blank notebook makes no zip and shows the
self-check's report on the page the browser opens, Handin_skip_check and
Handin on a finished notebook download the zip under the command line's name;
its kernels import the kit's utils.
"""
from __future__ import annotations

import html
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests import test_pipeline
from tests.handin.lab_server import LabServer
from tests.handin.test_handin import _need_pdf_tools
from dlcourse.handin import handin
from dlcourse.handin import kit as student_kit
from dlcourse.course import assignments
from utils.mnist import expected_sums, sha256

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "release/ps1/gradient_descent.ipynb"
STUDENT = "kit.tester"

pytestmark = pytest.mark.xdist_group("student_kit")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    folder, archive = student_kit.build(tmp_path_factory.mktemp("kit"))
    return folder, archive


def _kit_listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# ------------------------------------------------------------------ contents

def test_kit_holds_exactly_what_students_need(kit):
    folder, archive = kit
    files = _kit_listing(folder)
    assert files == set(student_kit.kit_files()) | {"README.md"}
    with zipfile.ZipFile(archive) as zf:
        assert {n.removeprefix(f"{student_kit.NAME}/") for n in zf.namelist()} == files
    notebooks = {f for f in files if f.endswith(".ipynb")}
    assert notebooks == {f"release/{p.relative_to(ROOT / 'release').as_posix()}"
                         for p in (ROOT / "release").rglob("*.ipynb")}
    assert {"Makefile", "README.md", "requirements.txt", "pyproject.toml", "nbgrader_config.py",
            "dlcourse/handin/handin.py", "dlcourse/handin/pdf_style.css", "dlcourse/handin/exporter.py", "utils/__init__.py",
            "datasets/mnist/SHA256SUMS"} <= files
    forbidden = [f for f in files if re.match(r"(source|tests|submitted|autograded|feedback|exchange)/"
                                              r"|notebooks/|dlcourse/(authoring|grading|term|cli)/|gradebook|.*\.gz$", f)]
    assert not forbidden, f"instructor files in the student kit: {forbidden}"
    assert {f for f in files if f.startswith(("dlcourse/", "scripts/"))} == set(student_kit.TOOLS)


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
            for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION"):
                assert marker not in text, f"{path.relative_to(folder)} contains {marker}"
            if path.suffix == ".ipynb":
                text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            # whole lines (a hidden line can be the start of a longer visible one)
            leaked = secret & {line.strip() for line in text.splitlines()}
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
    assert "make lab student=" in readme and "Save and Export Notebook As" in readme


def test_kit_needs_its_notebooks(tmp_path):
    (tmp_path / "release").mkdir()
    for name in ("README.md", "requirements.txt"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    with pytest.raises(student_kit.KitError, match="files for the kit are missing"):
        student_kit.kit_files(tmp_path)


# ------------------------------------------------------------------ using it

@pytest.fixture(scope="module")
def kit_env(kit):
    """The kit's own environment (see the module docstring) and the environment to run make in."""
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
    (venv / ".installed").touch()        # what scripts/setup_env.sh leaves when it is done
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MNIST_DIR"] = str(ROOT / "datasets" / "mnist")   # the kit's set-up copies MNIST from here
    return env


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


def _error_page_text(page: str) -> str:
    """What the browser tab shows when an export fails: jupyter_server's error page, its message."""
    m = re.search(r'<pre class="traceback">(.*?)</pre>', page, re.S)
    assert m, f"no error message on the page: {page[-1500:]}"
    return html.unescape(m.group(1))


def _download_name(response) -> str:
    """The file name the browser saves a download under (Content-Disposition, RFC 6266)."""
    header = response.headers["Content-Disposition"]
    m = re.search(r"filename\*=utf-8''([^;]+)", header, re.I) or re.search(r'filename="([^"]+)"', header)
    assert m, header
    return urllib.parse.unquote(m.group(1))


def _finished_notebook(path: Path) -> Path:
    """A small notebook in which everything is done and has run: one answer, one passing visible test."""
    def meta(gid, **kw):
        return {"nbgrader": {"grade": False, "solution": False, "locked": False, "schema_version": 3,
                             "grade_id": gid, **kw}}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Warm-up\n\nDouble a number: $f(x) = 2x$."),
                nbformat.v4.new_code_cell("def double(x):\n    return 2 * x", execution_count=1,
                                          metadata=meta("double", solution=True)),
                nbformat.v4.new_code_cell("assert double(21) == 42\nprint('double looks right.')", execution_count=2,
                                          metadata=meta("test_double_visible", grade=True, locked=True, points=1),
                                          outputs=[nbformat.v4.new_output("stream", text="double looks right.\n")])]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_jupyterlab_export_menu_hands_in(kit, kit_env, tmp_path):
    """File > Save and Export Notebook As > Handin / Handin_skip_check, as the browser asks for them."""
    _need_pdf_tools()
    folder = kit[0]
    finished = _finished_notebook(folder / "release" / "ps9" / "warmup.ipynb")
    try:
        with LabServer(folder, folder / "release", tmp_path / "server", env=kit_env,
                       make_args=(f"student={STUDENT}",)) as lab:
            assert f'HANDIN_STUDENT="{STUDENT}"' in lab.command
            formats = lab.get("/api/nbconvert").json()
            assert formats["handin"]["output_mimetype"] == "application/zip"
            assert formats["handin_skip_check"]["output_mimetype"] == "application/zip"
            blank = NOTEBOOK.removeprefix("release/")

            # Handin on the blank notebook: no zip; the tab shows the self-check's report in words.
            t = time.perf_counter()
            r = lab.get(f"/nbconvert/handin/{blank}", params={"download": "true"}, timeout=600)
            print(f"Handin of the blank ps1 (self-check): {time.perf_counter() - t:.1f} s")
            assert r.status_code == 500 and r.headers["Content-Type"].startswith("text/html"), r.text[-1000:]
            shown = _error_page_text(r.text)
            print(shown)
            flat = " ".join(shown.split())
            assert flat.startswith("nbconvert failed: Hand-in NOT made: the self-check found things to fix.")
            assert "visible test cells FAIL" in flat and "`grad_x_f` is not written yet" in flat
            assert "test_grad_x_f_visible (1 point)" in flat and "Written answers still empty" in flat
            assert "Save and Export Notebook As > Handin_skip_check" in flat
            assert "Traceback" not in shown and "\x1b[" not in shown
            # lines short enough to read without scrolling, one length (the page centres each line)
            assert len({len(line) for line in shown.splitlines()}) == 1
            assert max(len(line) for line in shown.splitlines()) <= 120
            saved = folder / "release" / "ps1" / f"gradient_descent_ps1_{STUDENT}.zip"
            assert not saved.exists(), "a zip was made although the self-check failed"

            # Handin_skip_check: the zip, named as the command line names it.
            r = lab.get(f"/nbconvert/handin_skip_check/{blank}", params={"download": "true"}, timeout=300)
            assert r.status_code == 200, r.text[-2000:] + lab.log_text()
            assert _download_name(r) == f"gradient_descent_ps1_{STUDENT}.zip"
            with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
                assert sorted(zf.namelist()) == ["gradient_descent.ipynb", "gradient_descent.pdf"]
                handed = nbformat.reads(zf.read("gradient_descent.ipynb").decode(), as_version=4)
            assert handed == nbformat.read(folder / NOTEBOOK, as_version=4)
            assert saved.read_bytes() == r.content

            # Handin on a notebook where everything passes: the zip downloads.
            t = time.perf_counter()
            r = lab.get("/nbconvert/handin/ps9/warmup.ipynb", params={"download": "true"}, timeout=600)
            print(f"Handin of a finished notebook (self-check, PDF, zip): {time.perf_counter() - t:.1f} s")
            assert r.status_code == 200, r.text[-3000:]
            assert _download_name(r) == f"warmup_ps9_{STUDENT}.zip"
            with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
                assert sorted(zf.namelist()) == ["warmup.ipynb", "warmup.pdf"]
            assert (finished.parent / f"warmup_ps9_{STUDENT}.zip").read_bytes() == r.content

            kernel = lab.start_notebook_kernel("ps1/gradient_descent.ipynb")
            out = lab.execute(kernel, "import utils, dlcourse.handin.handin; print(utils.__file__); print(dlcourse.handin.handin.__file__)")
            assert out["error"] is None, out
            assert out["stdout"].split() == [str(folder / "utils" / "__init__.py"), str(folder / "dlcourse" / "handin" / "handin.py")]
    finally:
        shutil.rmtree(finished.parent, ignore_errors=True)


def test_export_error_text_survives_the_servers_formatting():
    """jupyter_server shows HTTPError(500, "nbconvert failed: %s" % e) as log_message % args: a "%" in
    the report (e.g. "accuracy 95 %") must reach the page as it is, not blank it (the page would
    show no message if the formatting failed)."""
    from tornado.web import HTTPError

    from dlcourse.handin.exporter import ExportError

    text = "Hand-in NOT made:\n  - test_acc_visible (2 points): Hint: accuracy 95 % < 97 %, see 10%s."
    e = HTTPError(500, "nbconvert failed: %s" % ExportError(text))
    assert e.log_message % e.args == "nbconvert failed: " + text


def test_export_without_a_student_id_says_how_to_set_it(monkeypatch):
    from dlcourse.handin.exporter import ENV_STUDENT, HandinExporter

    monkeypatch.delenv(ENV_STUDENT, raising=False)
    nb = nbformat.read(ROOT / NOTEBOOK, as_version=4)
    with pytest.raises(handin.HandinError, match=r"make lab student=<your id>"):
        HandinExporter().from_notebook_node(nb, resources={"metadata": {"name": "gradient_descent",
                                                                        "path": str(ROOT / "release" / "ps1")}})
