"""The student's hand-in in a real browser: the kit's JupyterLab driven by Playwright.

Debian's Chromium (executable_path, no browser download; a fresh user-data-dir) opens
JupyterLab as the student kit's own `make lab` starts it (tests/handin/lab_server.py reads
the command from the kit's Makefile), on a copy of the kit's release/.  As a student:
open ps1 (instructor tools hidden: the Nbgrader menu holds only the assignment list, no
Create Assignment panel, no formgrader), fill one answer, Run All (failing test cells do
not stop it: they carry `raises-exception`; an answer still raising where it stands does,
and the step times record where), Hand in (the student id is asked once; the
self-check's progress shows; the to-do list appears in JupyterLab's side panel, not on a
new page, and its links scroll to their cells), Hand in anyway (the zip is downloaded:
the browser's download events are read over CDP, since downloads may open without the
page's knowledge), then the notebook completed from the reference answers, Run All
(reaches the end), Hand in: the zip downloads, and its PDF, read with pdftotext and
pdfimages, has the maths typeset (no raw TeX, no `\\_`), every plot and every code line;
the status bar names the zip and the time.

Screenshots of each step and the time of each step go to reports/handin-browser/ (git-ignored).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.authoring.examples import make_handin
from tests.handin.lab_server import LabServer
from tests.handin.test_handin import _check_maths_rendered, _need_pdf_tools

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "reports" / "handin-browser"
CHROMIUM = "/usr/bin/chromium"
NB = "ps1/gradient_descent.ipynb"
STUDENT = "ana.lee"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
HANDIN_BUTTON = ".jp-NotebookPanel-toolbar [data-command='dlcourse-handin:hand-in']"

pytestmark = pytest.mark.xdist_group("student_kit")


class Steps:
    """Times and screenshots of the steps."""

    def __init__(self, page):
        self.page, self.times, self.t = page, {}, time.perf_counter()
        shutil.rmtree(ARTEFACTS, ignore_errors=True)
        ARTEFACTS.mkdir(parents=True)

    def start(self):
        self.t = time.perf_counter()

    def done(self, name: str, shot: str | None = None):
        self.times[name] = round(time.perf_counter() - self.t, 1)
        if shot:
            self.shot(shot)

    def shot(self, name: str):
        self.page.screenshot(path=str(ARTEFACTS / f"{len(list(ARTEFACTS.glob('*.png'))) + 1:02d}_{name}.png"))


class Downloads:
    """The browser's downloads, heard over the Chrome DevTools Protocol."""

    def __init__(self, context, page, folder: Path):
        self.page, self.folder, self.started, self.finished = page, folder, [], []
        cdp = context.new_cdp_session(page)
        cdp.on("Browser.downloadWillBegin", lambda e: self.started.append(e["suggestedFilename"]))
        cdp.on("Browser.downloadProgress", lambda e: e["state"] == "completed" and self.finished.append(e["guid"]))
        cdp.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder),
                                                 "eventsEnabled": True})

    def wait(self, count: int, timeout: float = 60) -> Path:
        deadline = time.monotonic() + timeout
        while len(self.finished) < count:
            assert time.monotonic() < deadline, f"no download finished (started: {self.started})"
            self.page.wait_for_timeout(200)        # lets Playwright deliver the CDP events
        return self.folder / self.started[count - 1]


NOTEBOOK_JS = "() => window.jupyterapp.shell.currentWidget.content"


def _index(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _state(page) -> dict:
    """The open notebook as JupyterLab's model has it: each code cell's execution count, whether any
    cell is running or queued, and the kernel's status."""
    return page.evaluate("""() => {
        const panel = window.jupyterapp.shell.currentWidget, cells = panel.content.model.cells;
        const counts = [];
        let running = false;
        for (let i = 0; i < cells.length; i++) {
            const cell = cells.get(i);
            if (cell.type !== 'code') continue;
            counts.push(cell.executionCount);
            running = running || cell.executionState === 'running';
        }
        return {counts, running, kernel: panel.sessionContext.session?.kernel?.status};
    }""")


def _run_all(page, timeout: float = 300) -> list:
    """Run > Run All Cells, until no cell is running or queued; each code cell's execution count."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < 3:
        assert time.monotonic() < deadline, "Run All did not finish"
        page.wait_for_timeout(500)
        state = _state(page)
        quiet = 0 if state["running"] or state["kernel"] != "idle" else quiet + 1
    return state["counts"]


def _hand_in(page, expect: str, timeout: float = 420):
    page.click(HANDIN_BUTTON)
    progress = "#dlcourse-handin-panel .dlc-Handin-progress"
    page.wait_for_selector(f".jp-Dialog input, {progress}", timeout=30_000)
    if page.locator(".jp-Dialog input").count():       # the student id, asked once
        page.fill(".jp-Dialog input", STUDENT)
        page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(progress, timeout=30_000)
    page.wait_for_selector(f"#dlcourse-handin-panel {expect}", timeout=timeout * 1000)


def _edit_cell(page, index: int, source: str):
    """Type `source` into cell `index` as a student would (select all, type)."""
    page.evaluate(f"async () => {{ const nb = ({NOTEBOOK_JS})(); nb.activeCellIndex = {index};"
                  f" await nb.scrollToItem({index}, 'center'); }}")
    page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)
    page.keyboard.press("Escape")


def _in_view(page, index: int) -> bool:
    """Cell `index` is the active cell and its top is in the notebook's visible area."""
    return page.evaluate(f"""() => {{
        const nb = ({NOTEBOOK_JS})(), cell = nb.widgets[{index}].node;
        const box = nb.node.getBoundingClientRect(), r = cell.getBoundingClientRect();
        return nb.activeCellIndex === {index} && r.top >= box.top - 1 && r.top < box.bottom - 20;
    }}""")


@pytest.fixture(scope="module")
def kit_lab(kit, kit_env, tmp_path_factory):
    folder = kit[0]
    scratch = tmp_path_factory.mktemp("kit-lab")
    shutil.copytree(folder / "release", scratch / "release")
    # window.jupyterapp lets the test read the notebook's model (cells off screen are not in the page)
    env = {k: v for k, v in kit_env.items() if k != "MPLBACKEND"}   # tests/conftest.py's agg: no inline plots
    with LabServer(folder, scratch / "release", scratch / "server", env=env,
                   extra_args=("--LabApp.expose_app_in_browser=True",)) as lab:
        lab.notebooks = scratch / "release"
        yield lab


def test_student_hands_in_from_jupyterlab(kit_lab, tmp_path):  # size: one browser session walks the whole flow
    _need_pdf_tools()
    from playwright.sync_api import sync_playwright

    lab, downloads_dir = kit_lab, tmp_path / "downloads"
    downloads_dir.mkdir()
    release = nbformat.read(lab.notebooks / NB, as_version=4)
    reference = make_handin("reference", ROOT / "release" / NB, ROOT / "source" / NB)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 900})
        page = context.pages[0] if context.pages else context.new_page()
        steps, downloads = Steps(page), Downloads(context, page, downloads_dir)
        try:
            _walk(page, lab, steps, downloads, release, reference)
        except Exception:
            steps.shot("failed_here")
            raise
        finally:
            (ARTEFACTS / "timings.json").write_text(json.dumps(steps.times, indent=2))
            print("step times (s):", json.dumps(steps.times))
            context.close()


def _walk(page, lab, steps, downloads, release, reference):  # size: the steps in order, each a few lines
    # 1. open ps1
    steps.start()
    page.goto(f"{lab.url}/lab/tree/{NB}?token={lab.token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(HANDIN_BUTTON, timeout=60_000)
    steps.done("open", "open")
    page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    steps.shot("nbgrader_menu")
    page.keyboard.press("Escape")
    assert [i for i in items if i.strip()] == ["Assignment List"], items
    assert not page.get_by_text("Create Assignment").count(), "the Create Assignment panel is there"
    assert lab.get("/formgrader").status_code == 404

    # 2. fill one answer, 3. Run All
    answer = _index(release, "grad_x_f")
    _edit_cell(page, answer, reference.cells[answer].source)
    steps.start()
    prompts = _run_all(page)
    steps.done("run_all_one_answer", "run_all_one_answer")
    code = [c for c in release.cells if c.cell_type == "code"]       # counts are the code cells', in order
    tagged = {k for k, c in enumerate(code) if "raises-exception" in c.metadata.get("tags", [])}
    ran = {k for k, count in enumerate(prompts) if count}
    assert len(tagged & ran) >= 2, "Run All stopped at the first failing test cell"
    steps.times["run_all_one_answer_ran"] = f"{len(ran)} of {len(prompts)} code cells"
    stop = code[max(ran)] if ran else code[0]
    assert len(ran) == len(prompts), f"Run All stopped at {stop.metadata.get('nbgrader', {}).get('grade_id', stop.id)}"

    # 4. Hand in with failing tests: the to-do list in the side panel, links to the cells
    steps.start()
    _hand_in(page, ".dlc-Handin-todo")
    steps.done("hand_in_failing", "hand_in_failing")
    assert len(page.context.pages) == 1, "the hand-in opened a page of its own"
    panel = page.locator("#dlcourse-handin-panel")
    assert "Not handed in yet" in panel.inner_text() and "500" not in panel.inner_text()
    titles = panel.locator(".dlc-Handin-cell-link").all_inner_texts()
    assert any(t.startswith("test_grad_y_f_visible") for t in titles), titles
    assert not any(t.startswith("test_grad_x_f_visible") for t in titles), titles   # the one answered
    target = _index(release, "test_mse_gradient_descent_visible")
    panel.locator(".dlc-Handin-cell-link", has_text="test_mse_gradient_descent_visible").click()
    page.wait_for_timeout(800)
    assert _in_view(page, target), "the link did not scroll to its cell"
    steps.shot("link_scrolled")
    assert not list(lab.notebooks.glob("ps1/*.zip")), "a zip was made although tests fail"

    # 5. Hand in anyway: the zip, downloaded
    steps.start()
    panel.locator("[data-action='handin-anyway']").click()
    page.wait_for_selector("#dlcourse-handin-panel .dlc-Handin-success", timeout=300_000)
    steps.done("hand_in_anyway", "hand_in_anyway")
    zip_name = f"gradient_descent_ps1_{STUDENT}.zip"
    assert zip_name in panel.inner_text()
    panel.locator("[data-action='download']").click()
    with zipfile.ZipFile(downloads.wait(1)) as zf:
        assert sorted(zf.namelist()) == ["gradient_descent.ipynb", "gradient_descent.pdf"]

    # 6. complete the notebook from the reference (written to disk, reloaded), Run All, Hand in
    nbformat.write(reference, lab.notebooks / NB)
    page.click(".lm-MenuBar-itemLabel:text-is('File')")
    page.click(".lm-Menu-itemLabel:text-is('Reload Notebook from Disk')")
    page.wait_for_timeout(1500)
    steps.start()
    prompts = _run_all(page)
    steps.done("run_all_complete", "run_all_complete")
    code = [c for c in reference.cells if c.cell_type == "code"]
    assert all(count for count, c in zip(prompts, code) if c.source.strip()), f"Run All stopped: {prompts}"
    steps.start()
    _hand_in(page, ".dlc-Handin-success")
    steps.done("hand_in_complete", "hand_in_complete")
    assert "the self-check found nothing to fix" in panel.inner_text()
    panel.locator("[data-action='download']").click()
    _check_handin_zip(downloads.wait(2), steps)
    status = page.locator(".dlc-Handin-status").inner_text()
    assert re.fullmatch(rf"Handed in: {re.escape(zip_name)} at \d\d?:\d\d( [AP]M)?", status.strip()), status
    steps.shot("status_bar")
    log = Path(lab.log.name).read_text()
    assert "Traceback" not in log and not re.search(r"\] 5\d\d (GET|POST|PUT|DELETE) ", log), log[-3000:]


def _check_handin_zip(path: Path, steps):
    folder = path.parent / "unzipped"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    nb = nbformat.read(folder / "gradient_descent.ipynb", as_version=4)
    pdf = folder / "gradient_descent.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    _check_maths_rendered({"text": text, "nb": nb})
    assert "\\_" not in text, "raw \\_ in the PDF"
    plots = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True)
    assert plots >= 5 and len(images.stdout.strip().splitlines()[2:]) >= plots, images.stdout
    squashed = "".join(text.split())
    missing = [c.source[:60] for c in nb.cells if c.cell_type == "code" and "".join(c.source.split()) not in squashed]
    assert not missing, f"code cells not complete in the PDF: {missing[:3]}"
    shutil.copy(pdf, ARTEFACTS / "handin.pdf")
    steps.times["pdf_pages"] = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
