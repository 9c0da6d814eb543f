"""The student hand-in (dlcourse/handin/): self-check messages, PDF, zip, the JSON for JupyterLab.

The PDF test exports a real course notebook with its outputs (ps1 filled with
the reference answers and executed), plus a last markdown cell and a very long
code line, then reads the PDF back with poppler: maths typeset by MathJax 3 from
the pip-installed package (the page loads nothing from the system or the
network; ps1's texttt step_size prints as step_size, no backslash), last cell present, long
line complete, every figure, page 1 not blank.  The self-check is tested on the
blank release and on a half-done notebook.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.authoring.examples import make_handin
from dlcourse.cli import pdfs as reference_pdfs
from dlcourse.handin import handin, pdf, report, selfcheck

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "ps1" / "gradient_descent.ipynb"
SOURCE = ROOT / "source" / "ps1" / "gradient_descent.ipynb"
SENTENCE = "The quokka signs this hand-in with a violet umbrella."
LONG_LINE = "long_line_check = '" + "0123456789abcdefghij" * 15 + "' + 'ZZENDOFLONGLINEQQ'"


def _need_pdf_tools():
    missing = []
    for find in (handin.find_browser, handin.find_mathjax):
        try:
            find()
        except handin.HandinError as e:
            missing.append(str(e))
    missing += [f"{tool} (poppler-utils) not found" for tool in ("pdftotext", "pdftoppm", "pdfimages")
                if not shutil.which(tool)]
    if missing:
        # `make test` installs them (scripts/setup_system.sh): a silent skip would hide a broken
        # set-up, so a missing tool is an error unless COURSE_SKIP_PDF=1 says otherwise
        reason = "PDF tools missing -- `make setup-pdf` installs them: " + "; ".join(missing)
        if os.environ.get("COURSE_SKIP_PDF", "") not in ("", "0"):
            pytest.skip(reason)
        pytest.fail(reason + "; COURSE_SKIP_PDF=1 skips the PDF tests", pytrace=False)


def _copy_release(tmp: Path, student: str) -> Path:
    """A student's copy of ps1: the notebook (as `student` hands it in) plus the data files."""
    return reference_pdfs.student_copy(RELEASE, tmp, student)


# ------------------------------------------------------------------ PDF + zip

def _export(tmp: Path) -> dict:
    """ps1 with the reference answers, executed, two cells appended, handed in; the PDF read back."""
    nb_path = _copy_release(tmp, "reference")
    # inline figures as in JupyterLab, short training runs (NBGRADER_EXECUTION), as `make pdfs` does
    nb = reference_pdfs.execute(nbformat.read(nb_path, as_version=4), nb_path.parent)
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f"## Last words\n\n{SENTENCE} It closes with $\\sum_{{i=1}}^n \\frac{{a_i}}{{b_i}}$."))
    nb.cells.append(nbformat.v4.new_code_cell(LONG_LINE, execution_count=999))
    nbformat.write(nb, nb_path)

    html = pdf.notebook_html(nb, title="gradient_descent")
    zip_path = handin.handin(nb_path, "j.doe/42", out=tmp / "out", check=False)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp / "unzipped")
    pdf_file = tmp / "unzipped" / "gradient_descent.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf_file), "-"], capture_output=True, text=True,
                          check=True).stdout
    return {"nb": nb, "zip": zip_path, "pdf": pdf_file, "text": text, "tmp": tmp, "html": html}


# One export (a notebook execution + Chromium) shared by all checks: a single
# test, so that no scheduler can run the expensive part twice.
@pytest.mark.xdist_group("handin_pdf")
def test_pdf_handin_of_a_real_notebook(tmp_path):
    _need_pdf_tools()
    exported = _export(tmp_path)
    _check_zip(exported)
    _check_maths_rendered(exported)
    _check_mathjax_3_from_pip(exported)
    _check_last_cell_and_long_line(exported)
    _check_figures(exported)
    _check_first_page_not_blank(exported)


def _check_zip(exported):
    zip_path = exported["zip"]
    assert zip_path.name == "gradient_descent_ps1_j.doe-42.zip"   # <notebook>_<assignment>_<student>.zip
    assert zip_path.parent == exported["tmp"] / "out"
    with zipfile.ZipFile(zip_path) as zf:
        assert sorted(zf.namelist()) == ["gradient_descent.ipynb", "gradient_descent.pdf"]
        assert zf.read("gradient_descent.pdf").startswith(b"%PDF")
        handed = nbformat.reads(zf.read("gradient_descent.ipynb").decode("utf-8"), as_version=4)
    assert handed.cells[-1].source == LONG_LINE


# Two formulas of ps1's prose, as the notebook writes them, and how typeset maths reads in
# pdftotext -layout: exponents move to the line above.
BOWL_TEX = r"$$f(x, y) = x^2 + y^2 + x\,(y + 2) + \cos(3x).$$"
BOWL_TYPESET = re.compile(r"^\s*2\s+2\s*\n\s*f\s?\(x, y\) = x\s+\+ y\s+\+ x\s?\(y \+ 2\) \+ cos\(3x\)\.", re.M)
GRADIENT_TEX = r"The gradient $\nabla f = \left(\frac{\partial f}{\partial x}, \frac{\partial f}{\partial y}\right)$"
# MathJax 3 sets a fraction's numerator and denominator on lines of their own below the text line.
GRADIENT_TYPESET = re.compile(r"^\s*The gradient ∇f = \(\s+points uphill[^\n]*\n\s*∂f\s+∂f\s*\n[^\n]*\n\s*∂x\s+∂y", re.M)
INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]+)\$(?!\$)")


def _check_maths_rendered(exported):
    text, nb = exported["text"], exported["nb"]
    code_text = "\n".join(c.source + "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                                             for o in c.get("outputs", []))
                          for c in nb.cells if c.cell_type == "code")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert BOWL_TEX in markdown and GRADIENT_TEX in markdown, "ps1's prose changed: update the formulas here"
    # Those two, typeset: not as written, but glyphs in place of TeX, superscripts and numerators raised.
    squashed, code = "".join(text.split()), "".join(code_text.split())
    for tex in (BOWL_TEX, GRADIENT_TEX):
        assert "".join(tex.split()) not in squashed, f"raw TeX in the PDF: {tex}"
    assert BOWL_TYPESET.search(text), "f(x, y) = x^2 + ... is not typeset in the PDF"
    assert GRADIENT_TYPESET.search(text), "the gradient's formula is not typeset in the PDF"
    # No inline $...$ of the prose survives as written (spaces aside; code may print one).
    prose = re.sub(r"`[^`\n]*`", "", markdown)      # `$...$` in backticks is code, shown as written
    spans = {"".join(m.group(0).split()) for m in INLINE_MATH.finditer(prose)}
    spans = {span for span in spans if span not in code}
    assert len(spans) > 30
    raw = sorted(span for span in spans if span in squashed)
    assert not raw, f"raw $...$ maths in the PDF (MathJax did not run?): {raw[:5]}"
    # Every TeX command of the prose that no code cell also contains must be gone (typeset).
    commands = set(re.findall(r"\\[A-Za-z]+", markdown)) - set(re.findall(r"\\[A-Za-z]+", code_text))
    assert {"\\frac", "\\sum"} <= commands
    leftover = sorted(cmd for cmd in commands if re.search(re.escape(cmd) + r"(?![A-Za-z])", text))
    assert not leftover, f"raw TeX in the PDF (MathJax did not run?): {leftover}"


def _check_mathjax_3_from_pip(exported):
    """The page loads MathJax 3 (JupyterLab's major version) from the pip-installed package and
    nothing else: no system MathJax (Debian's libjs-mathjax is MathJax 2), no network."""
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]*)"', exported["html"])
    mathjax = pdf.find_mathjax()
    assert scripts == [mathjax.as_uri()], scripts
    package = json.loads((mathjax.parents[1] / "package.json").read_text())
    assert package["name"] in ("mathjax", "mathjax-full") and package["version"].startswith("3."), package
    assert "site-packages" in mathjax.parts and "/usr/share" not in exported["html"]
    assert not re.search(r'src="https?://', exported["html"])
    # MathJax 2 printed \texttt{step\_size} with its backslash; MathJax 3 as JupyterLab shows it
    text = exported["text"]
    assert "\\_" not in text, "a raw \\_ in the PDF"
    assert re.search(r"η\s*=\s*step_size\s*⋅\s*decay", text), "\\texttt{step\\_size} is not typeset as step_size"


def _check_last_cell_and_long_line(exported):
    flat = " ".join(exported["text"].split())
    assert SENTENCE in flat, "the last markdown cell is missing from the PDF"
    squashed = "".join(exported["text"].split())
    assert "".join(LONG_LINE.split()) in squashed, "the long code line was clipped"
    # it wraps with a hanging indent: the continuation starts right of where the line starts
    lines = exported["text"].splitlines()
    first = next(i for i, line in enumerate(lines) if "long_line_check =" in line)
    start, rest = lines[first].index("long_line_check"), lines[first + 1]
    assert rest.strip() and len(rest) - len(rest.lstrip()) > start, lines[first:first + 2]


def test_code_lines_keep_highlighting_and_hang_past_their_indent():
    """Each line of a code cell is whole HTML of its own (Pygments closes its spans at line ends),
    with a hanging indent of its own indentation plus HANG characters."""
    source = 'def f():\n    """a\nb"""\n\n    return 1'
    lines = pdf.code_lines(source)
    assert len(lines) == 5
    assert [line["hang"] for line in lines] == [4, 8, 4, 4, 8]
    assert lines[0]["html"].startswith('<span class="k">def</span>')
    for line in lines:    # every span opened on a line is closed on it
        assert line["html"].count("<span") == line["html"].count("</span>")
    assert lines[1]["html"].strip().endswith("</span>") and "a" in lines[1]["html"]


def _check_figures(exported):
    n_figures = sum("image/png" in o.get("data", {}) for c in exported["nb"].cells for o in c.get("outputs", []))
    assert n_figures >= 3
    out = subprocess.run(["pdfimages", "-list", str(exported["pdf"])], capture_output=True, text=True)
    assert out.returncode == 0, f"pdfimages -list failed ({out.returncode}): {out.stderr[-500:]}"
    images = out.stdout.strip().splitlines()[2:]   # a header of two lines, then one line per embedded image
    assert len(images) >= n_figures, f"{n_figures} figures in the notebook, {len(images)} images in the PDF"


def _check_first_page_not_blank(exported):
    from PIL import Image, ImageStat

    prefix = exported["tmp"] / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(exported["pdf"]), str(prefix)],
                   check=True, capture_output=True)
    png = next(exported["tmp"].glob("page*.png"))
    stat = ImageStat.Stat(Image.open(png).convert("L"))
    assert stat.stddev[0] > 10, f"page 1 looks blank (grey-level std {stat.stddev[0]:.1f})"
    assert stat.mean[0] > 150, "page 1 should be mostly white paper"


# ------------------------------------------------------------------ self-check

def _visible_tests(nb) -> dict[str, str]:
    """{test cell id: the answer cell it checks} for graded test cells with real code."""
    out = {}
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade") and c.cell_type == "code" and selfcheck._has_code(c.source):
            out[meta["grade_id"]] = re.sub(r"^test_|_(visible|hidden)$", "", meta["grade_id"])
    return out


def _assert_readable(report: str):
    assert "Traceback" not in report and "\x1b[" not in report and 'File "' not in report
    assert all(len(line) < 400 for line in report.splitlines())


@pytest.mark.xdist_group("handin_blank")
def test_self_check_blank_notebook(tmp_path):
    nb_path = _copy_release(tmp_path, "blank")
    result = handin.self_check(nb_path)
    report = handin.format_check(nb_path.name, result)
    print(report)
    _assert_readable(report)
    tests = _visible_tests(nbformat.read(nb_path, as_version=4))
    assert not result.fatal
    assert result.tests == len(tests) >= 10
    assert {f.cell for f in result.failures} == set(tests)        # every visible test fails
    assert f"{len(tests)} of {len(tests)} visible test cells FAIL" in report
    assert "`grad_x_f` is not written yet" in report
    assert "test_grad_x_f_visible (1 point)" in report
    assert "grad_x_f" in result.not_started and "mse_gradient_descent" in result.not_started
    assert "q_fixed_step" in result.empty_written


@pytest.mark.xdist_group("handin_half")
def test_self_check_half_done_notebook(tmp_path):
    nb_path = _copy_release(tmp_path, "blank")
    release = nbformat.read(nb_path, as_version=4)
    reference = make_handin("reference", RELEASE, SOURCE)
    answers = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    done = {c.metadata.nbgrader.grade_id for c in answers[:3]}    # grad_x_f, grad_y_f, optimize_f
    for cell, ref in zip(release.cells, reference.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") in done:
            cell.source = ref.source
    nbformat.write(release, nb_path)

    result = handin.self_check(nb_path)
    report = handin.format_check(nb_path.name, result)
    print(report)
    _assert_readable(report)
    tests = _visible_tests(release)
    failing = {t for t, answer in tests.items() if answer not in done}
    assert done and failing and len(failing) < len(tests)
    assert {f.cell for f in result.failures} == failing
    for gid in done:
        assert gid not in result.not_started
        assert f"test_{gid}_visible" not in report
    assert f"{len(failing)} of {len(tests)} visible test cells FAIL" in report
    assert "`standardize` is not written yet" in report


def test_self_check_words_for_a_wrong_answer():
    """A failing check reports the test's hint, not a traceback."""
    cell = nbformat.v4.new_code_cell("check(False, 'Hint: x')")
    cell.outputs = [nbformat.v4.new_output("error", ename="TestFailure", evalue="Hint: use the chain rule.",
                                           traceback=["\x1b[31mTraceback (most recent call last)\x1b[0m", "..."])]
    assert selfcheck._explain(cell) == "Hint: use the chain rule."
    cell.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="name 'f' is not defined",
                                           traceback=[])]
    assert "Restart Kernel and Run All Cells" in selfcheck._explain(cell)


def test_safe_names():
    assert handin.handin_name(Path("/x/ps 3!/my nb.ipynb"), "Ana María") == "my nb_ps-3_Ana-Mar-a.zip"
    with pytest.raises(handin.HandinError):
        handin.handin(RELEASE, "///", check=False)


def test_report_lists_broken_cells_first_and_edited_tests():
    r = handin.CheckResult(tests=3, failures=[handin.Failure("test_a_visible", 1, "Hint: look again.")],
                           broken=[handin.Problem("a", "SyntaxError: expected ':' (line 1)")], changed=["test_b"],
                           not_started=["c"], empty_written=["q_1"])
    report = handin.format_check("nb.ipynb", r)
    _assert_readable(report)
    assert report.index("SyntaxError") < report.index("1 of 3 visible test cells FAIL")
    assert "test_a_visible (1 point): Hint: look again." in report
    assert "edited read-only or test cells: test_b" in report
    assert "Not started yet" in report and "Written answers still empty: q_1." in report
    assert "All 3 visible test cells pass." in handin.format_check("nb.ipynb", handin.CheckResult(tests=3))


def test_stderr_message_tells_what_validate_and_grading_do():
    """A test cell whose checks pass but that warns on stderr: nbgrader's validate counts it as failed,
    the course's autograde (StderrIsNotFailure) gives full points -- and the message says exactly that."""
    from nbgrader.utils import determine_grade

    from dlcourse.grading.preprocessors import StderrIsNotFailure

    cell = nbformat.v4.new_code_cell("passed('ok')", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "test_a_visible", "points": 2}})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✓ ok\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="UserWarning: lr is large\nmore\n")]
    assert determine_grade(cell) == (0, 2)                  # what `nbgrader validate` (and the self-check) see
    message = selfcheck._explain(cell)
    assert "UserWarning: lr is large" in message and "more" not in message
    assert "Validate button count any stderr output as a failure" in message
    assert "grading does not, so you keep these points" in message
    graded, _ = StderrIsNotFailure().preprocess_cell(nbformat.from_dict(cell), {}, 0)
    assert determine_grade(graded) == (2, 2)                # what autograde scores


@pytest.mark.xdist_group("handin_bonus")
def test_self_check_skipped_extra_credit_is_not_a_problem(tmp_path):
    """ps3 done except its bonus (AdamW) and its extra-credit question: ready to hand in, the
    report says the bonus parts are optional; a finished bonus with a wrong answer is reported
    as a bonus failure, never as a failing test."""
    release_nb, source_nb = ROOT / "release/ps3/optimizers.ipynb", ROOT / "source/ps3/optimizers.ipynb"
    (tmp_path / "ps3").mkdir()
    nb_path = tmp_path / "ps3" / "optimizers.ipynb"
    nb = make_handin("reference", release_nb, source_nb)
    stubs = {c.metadata.nbgrader.grade_id: c.source for c in nbformat.read(release_nb, as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in ("AdamWOptimizer", "q_extra_credit"):
            cell.source = stubs[gid]
    nbformat.write(nb, nb_path)
    result = handin.self_check(nb_path)
    report = handin.format_check(nb_path.name, result)
    print(report)
    _assert_readable(report)
    assert result.ready, report
    assert set(result.optional_open) == {"AdamWOptimizer", "q_extra_credit"}
    assert {f.cell for f in result.bonus_failures} == {"test_AdamWOptimizer_visible"}
    assert "optional, skipping them costs nothing" in report and "FAIL" not in report


def test_todo_items_point_at_their_cells():
    """JupyterLab's to-do list: each item names its cell by id, grade_id and position in the saved notebook."""
    nb = nbformat.read(RELEASE, as_version=4)
    r = handin.CheckResult(tests=12, failures=[handin.Failure("test_grad_x_f_visible", 1, "Hint: x")],
                           not_started=["grad_x_f"], empty_written=["q_fixed_step"],
                           broken=[handin.Problem("grad_y_f", "SyntaxError: invalid syntax (line 2)")])
    unrun = selfcheck.unexecuted_cells(nb)
    items = report.items(r, nb, unrun)
    assert [i["kind"] for i in items] == ["broken", "failure", "not_started", "empty_written", "not_run"]
    for item in items[:-1]:
        cell = nb.cells[item["cell"]["index"]]
        assert cell.metadata.nbgrader.grade_id == item["cell"]["grade_id"] and cell.id == item["cell"]["id"]
        assert not item["optional"] and "\n" not in item["message"]
    assert items[1]["title"] == "test_grad_x_f_visible (1 point)" and items[1]["points"] == 1
    assert items[-1]["cell"]["index"] == unrun[0] and items[-1]["title"] == f"{len(unrun)} code cells never run"
    assert report.summary(r, len(unrun)) == (f"1 of 12 visible test cells fail; 2 answers not written yet; "
                                             f"1 answer cell raises an error; {len(unrun)} code cells never run.")
