"""`make lab` for real: a JupyterLab server started with the Makefile's own command.

The server runs from the course folder as `make lab` does (the Makefile's own
command: `python -m dlcourse.handin.lab --instructor`), on a free port with a token,
on a scratch folder laid out as a course: release/ (plus a student's copy of ps1
in another folder of it) and an instructor's submitted/<student>/ps1/.  Over HTTP: the lab page loads with nbgrader's lab
extension, nbgrader's server extensions answer (nbgrader 0.9.6:
validate_assignment's /assignments/validate and /nbgrader_version,
assignment_list's /courses and /assignments, here over a scratch exchange into
which `nbgrader release_assignment ps1` released ps1), validating a blank
release notebook reports its failing tests and empty written answers, and
kernels the server starts for notebooks in release/, the copied folder and
submitted/ `import utils` from the course environment with no sys.path edit.
The instructor's JupyterLab keeps every nbgrader tool and has the Hand in button;
its hand-in service answers bad requests with one line in JSON (HTTP 400/404).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import nbgrader
import pytest

from dlcourse.handin import lab as lab_launcher
from tests.handin.lab_server import LabServer, lab_command
from dlcourse.course import nbgrader as run_nbgrader
from tests.handin.test_handin import _visible_tests

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "release/ps1/gradient_descent.ipynb"
COPY = "release/my work/ps1 copy/gradient_descent.ipynb"   # a student's own copy, elsewhere in their folder
SUBMITTED = "submitted/jdoe/ps1/gradient_descent.ipynb"    # a hand-in, where nbgrader collects it

pytestmark = pytest.mark.xdist_group("lab")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("lab")
    notebooks = scratch / "course"
    shutil.copytree(ROOT / "release", notebooks / "release",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.zip"))
    for copy in (COPY, SUBMITTED):
        shutil.copytree(notebooks / "release" / "ps1", (notebooks / copy).parent)
    exchange = scratch / "exchange"
    env = dict(os.environ, NBGRADER_EXCHANGE=str(exchange))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NBGRADER_EXCHANGE", str(exchange))
        run_nbgrader(ROOT, "release_assignment", "ps1")
    with LabServer(ROOT, notebooks, scratch / "server", env=env) as server:
        server.notebooks = notebooks
        yield server


def _page_config(html: str) -> dict:
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "the lab page has no jupyter-config-data"
    return json.loads(m.group(1))


def test_make_lab_command_is_what_runs(lab):
    assert "-m dlcourse.handin.lab --instructor" in lab.command
    assert f"--notebook-dir='{lab.notebooks}'" in lab.command
    assert f'--student "jdoe"' in lab_command(ROOT, ("student=jdoe",)) and "--student" not in lab_command(ROOT)


def test_lab_adds_allow_root_only_for_root(tmp_path):
    """As root (CI containers) JupyterLab refuses to start without --allow-root; as anyone else it is left out."""
    assert "--allow-root" in lab_launcher.lab_args(tmp_path, [], uid=0)
    assert "--allow-root" not in lab_launcher.lab_args(tmp_path, [], uid=1000)
    assert lab_launcher.lab_args(tmp_path, ["--allow-root"], uid=0).count("--allow-root") == 1


def test_instructor_and_student_views_differ_only_in_instructor_tools():
    teacher = lab_launcher.jupyter_setup(instructor=True, student="", environ={"JUPYTER_CONFIG_PATH": "/x"})
    student = lab_launcher.jupyter_setup(instructor=False, student="jdoe", environ={})
    lab = str(lab_launcher.CONFIG / "lab")
    assert teacher["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [lab, "/x"]
    assert student["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(lab_launcher.CONFIG / "student"), lab]
    assert student["HANDIN_STUDENT"] == "jdoe" and "HANDIN_STUDENT" not in teacher


def test_lab_page_loads_nbgrader_extension(lab):
    r = lab.get("/lab")
    assert r.status_code == 200, r.text[:300]
    config = _page_config(r.text)
    assert config["appVersion"].startswith("4."), config["appVersion"]
    extensions = {e["name"]: e for e in config["federated_extensions"]}
    assert "@jupyter/nbgrader" in extensions, f"nbgrader's lab extension is not loaded: {sorted(extensions)}"
    disabled = config.get("disabledExtensions", [])
    assert not [d for d in disabled if d.startswith("@jupyter/nbgrader")], f"nbgrader parts disabled: {disabled}"
    assert "dlcourse-handin" in extensions, f"the Hand in extension is not loaded: {sorted(extensions)}"
    handin_js = lab.get(f"/lab/extensions/dlcourse-handin/{extensions['dlcourse-handin']['load']}")
    assert handin_js.status_code == 200 and "dlcourse-handin" in handin_js.text
    entry = extensions["@jupyter/nbgrader"]["load"]
    js = lab.get(f"/lab/extensions/@jupyter/nbgrader/{entry}")
    assert js.status_code == 200 and len(js.content) > 1000, "nbgrader's lab extension code is not served"


def test_nbgrader_server_extensions_answer(lab):
    version = lab.get("/nbgrader_version", params={"version": nbgrader.__version__})
    assert version.status_code == 200 and version.json() == {"success": True}, version.text
    courses = lab.get("/courses")
    assert courses.status_code == 200 and courses.json()["success"] is True, courses.text[:500]
    assert "dl-ground-up" in courses.json()["value"], courses.text[:500]
    listing = lab.get("/assignments", params={"course_id": "dl-ground-up"})
    assert listing.status_code == 200 and listing.json()["success"] is True, listing.text[:500]
    released = {a["assignment_id"]: a for a in listing.json()["value"] if a["status"] == "released"}
    assert "ps1" in released, listing.text[:500]
    assert [nb["notebook_id"] for nb in released["ps1"]["notebooks"]] == ["gradient_descent"]


def test_validate_button_reports_failing_tests(lab):
    """What the Validate button posts: every visible test of the blank release fails (for the right
    reason), and every written answer is reported as not answered."""
    r = lab.post("/assignments/validate", data={"path": NOTEBOOK}, timeout=240)
    assert r.status_code == 200, r.text[:500]
    result = r.json()
    assert result["success"] is True, f"validation crashed: {str(result['value'])[:2000]}"
    failed = result["value"]["failed"]
    nb = nbformat.read(lab.notebooks / NOTEBOOK, as_version=4)
    visible = {c.source.strip() for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") in _visible_tests(nb)}
    written = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    assert len(visible) >= 10 and written
    tests = [f for f in failed if f["source"] != "YOUR ANSWER HERE"]
    assert {f["source"] for f in tests} == visible
    reasons = [re.sub(r"\x1b\[[0-9;]*m", "", f["raw_error"]) for f in tests]
    # a stub raises NotImplementedError, or the test gives its hint for a name the stub leaves undefined
    unexplained = [r[-400:] for r in reasons if not re.search(r"NotImplementedError|TestFailure: Hint", r)]
    assert not unexplained and any("NotImplementedError" in r for r in reasons), unexplained
    assert len(failed) - len(tests) == len(written)


@pytest.mark.parametrize("path", [NOTEBOOK, COPY, SUBMITTED], ids=["release", "copied-folder", "submitted"])
def test_kernel_imports_utils_from_the_environment(lab, path):
    kernel = lab.start_notebook_kernel(path)
    code = ("import json, os, sys\n"
            "import utils\n"
            "from utils import load_mnist, contour_with_path\n"
            "print(json.dumps({'cwd': os.getcwd(), 'utils': utils.__file__, 'python': sys.executable,"
            " 'path': sys.path}))")
    result = lab.execute(kernel, code)
    assert result["error"] is None, f"{path}: {result['error']}"
    seen = json.loads(result["stdout"].strip().splitlines()[-1])
    assert Path(seen["cwd"]).resolve() == (lab.notebooks / path).parent.resolve()
    assert Path(seen["utils"]).resolve() == ROOT / "utils" / "__init__.py"
    assert Path(seen["python"]).parent.resolve() == Path(sys.executable).parent.resolve()
    # found through the course environment's install, not by a path edit pointing at the course
    assert not [p for p in seen["path"] if p and Path(p).resolve() == ROOT], seen["path"]
    lab.session.delete(f"{lab.url}/api/kernels/{kernel}")


def test_handin_service_answers_bad_requests_in_one_line(lab):
    """Expected mistakes get HTTP 400/404 with one line of JSON, never an error page or a traceback."""
    info = lab.get("/dlcourse/handin/info", params={"path": NOTEBOOK})
    assert info.status_code == 200 and info.json() == {"student": "", "last": None}, info.text
    cases = [({"path": "release/ps1/nothing.ipynb", "student": "jdoe"}, "path"),
             ({"path": "../../etc/passwd", "student": "jdoe"}, "path"),
             ({"path": NOTEBOOK}, "student")]
    for body, reason in cases:
        r = lab.post("/dlcourse/handin/jobs", json=body)
        assert r.status_code == 400 and r.json()["reason"] == reason, r.text
        assert "\n" not in r.json()["message"] and r.headers["Content-Type"].startswith("application/json")
    r = lab.get("/dlcourse/handin/jobs/0123456789ab")
    assert r.status_code == 404 and "hand in again" in r.json()["message"]
    assert lab.get("/dlcourse/handin/jobs").json() == []
    assert "Traceback" not in lab.log_text()
