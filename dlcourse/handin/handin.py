"""Turn a student's notebook into a hand-in: self-check, PDF, zip.

    dlcourse handin release/ps1/gradient_descent.ipynb --student jdoe
    make handin nb=release/ps1/gradient_descent.ipynb student=jdoe

1. Self-check: runs the notebook the way `nbgrader validate` does (nbgrader's
   own Validator, with the course's nbgrader_config.py) and says in plain
   words which visible tests fail and why, which answers are not started and
   which written answers are still empty.  Hidden tests only run at grading.
2. PDF: nbconvert's JupyterLab HTML (images embedded) printed by headless
   Chromium, with MathJax served from disk (Debian's libjs-mathjax), so the
   maths is typeset with no internet; long code lines wrap (dlcourse/handin/pdf_style.css).
   The PDF shows the notebook as saved: run all cells and save first.
3. Zip: <notebook>_<assignment>_<student>.zip (e.g. gradient_descent_ps1_jdoe.zip)
   holding the .ipynb and the PDF, next to the notebook (or in --out).  JupyterLab's
   File > Save and Export Notebook As > Handin (dlcourse/handin/exporter.py) makes
   the same zip and downloads it under the same name.

With --strict (what JupyterLab's Handin export runs) no zip is made unless the
self-check finds nothing to fix and every code cell of the saved notebook has run.

System packages (chromium, libjs-mathjax, poppler-utils): scripts/setup_system.sh.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.cells import bonus_points

ROOT = Path(__file__).resolve().parents[2]
CSS = Path(__file__).with_name("pdf_style.css")

MATHJAX_CANDIDATES = (
    "/usr/share/javascript/mathjax/MathJax.js",      # Debian/Ubuntu libjs-mathjax (MathJax 2)
    "/usr/share/mathjax/MathJax.js",                 # Fedora mathjax
    "/usr/share/mathjax2/MathJax.js",                # Arch mathjax2
    "/opt/homebrew/share/mathjax/MathJax.js",
    "/usr/local/share/mathjax/MathJax.js",
)
MATHJAX_CONFIG = "TeX-AMS_CHTML-full"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER_PATHS = (
    "/usr/lib/chromium/chromium",   # Debian: the binary behind the /usr/bin/chromium wrapper script
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
SETUP_HINT = "Run `bash scripts/setup_system.sh` (as root, or ask an administrator)."


class HandinError(RuntimeError):
    """Something the student (or the set-up) must fix; the message says what."""


class NotReady(HandinError):
    """--strict: the self-check found something to fix, so no zip was made."""


# --------------------------------------------------------------------------- #
# 1. Self-check
# --------------------------------------------------------------------------- #

@dataclass
class Failure:
    cell: str           # the test cell's name (nbgrader grade_id)
    points: float
    message: str


@dataclass
class CheckResult:
    tests: int = 0                                   # graded test cells in the notebook
    failures: list[Failure] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)      # answer cells still holding the stub
    empty_written: list[str] = field(default_factory=list)    # written answers still "YOUR ANSWER HERE"
    broken: list[str] = field(default_factory=list)           # answer cells that raise an error
    changed: list[str] = field(default_factory=list)          # test / read-only cells the student edited
    optional_open: list[str] = field(default_factory=list)    # extra-credit answers not done (fine to skip)
    bonus_failures: list[Failure] = field(default_factory=list)  # bonus tests that fail (extra credit only)
    fatal: str = ""                                           # the notebook could not be run at all
    seconds: float = 0.0

    @property
    def all_pass(self) -> bool:
        return not (self.failures or self.fatal)

    @property
    def ready(self) -> bool:
        """Nothing left to fix: every visible test passes, every answer is written, no cell was edited."""
        return self.all_pass and not (self.broken or self.changed or self.not_started or self.empty_written)


def _find_config(nb_path: Path) -> Path | None:
    for folder in [nb_path.parent, *nb_path.parent.parents, ROOT]:
        if (folder / "nbgrader_config.py").is_file():
            return folder / "nbgrader_config.py"
    return None


def _load_config(nb_path: Path):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = Config()
    cfg.Execute.timeout = 180
    path = _find_config(nb_path)
    if path is not None:
        try:
            cfg.merge(PyFileConfigLoader(path.name, str(path.parent)).load_config())
        except Exception:  # a broken or foreign config: nbgrader's defaults + our timeout
            pass
    return cfg


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FILE = re.compile(r"\(\d+\.py, line (\d+)\)")  # ipykernel's name for a cell in a SyntaxError


def _has_code(source: str) -> bool:
    """True unless every line is blank or a comment (a hidden-test cell as students get it)."""
    return any(line.strip() and not line.strip().startswith("#") for line in source.splitlines())


def _tested_name(grade_id: str, not_started: list[str]) -> str | None:
    """The answer cell a test cell checks, by the course's naming (test_<answer>[_visible|_hidden])."""
    name = re.sub(r"^test_|_(visible|hidden)$", "", grade_id)
    return name if name in not_started else None


def _explain(cell, unwritten: str | None = None) -> str:
    """One plain sentence on why an executed test cell failed."""
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            ename, evalue = out.ename, _ANSI.sub("", str(out.evalue)).strip()
            if ename == "NotImplementedError":
                if unwritten:
                    return f"`{unwritten}` is not written yet (its cell still says `raise NotImplementedError()`)."
                return ("a function it uses is not written yet (still raises NotImplementedError): "
                        "fill in every `# YOUR CODE HERE` above this test.")
            if ename in ("TestFailure", "AssertionError"):
                return evalue or "a check failed (no message)."
            if ename == "NameError":
                return (f"{evalue}. Is the cell that should define it filled in, and did it run without an "
                        "error? Run the notebook from the top (Kernel > Restart Kernel and Run All Cells).")
            if ename in ("CellTimeoutError", "TimeoutError", "DeadKernelError"):
                return f"took too long or crashed the kernel ({ename}); look for an endless loop or huge arrays."
            return f"your code raised {ename}: {evalue}" if evalue else f"your code raised {ename}."
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stderr":
            first = _ANSI.sub("", out.text).strip().splitlines()[:1]
            said = f" ({first[0]})" if first else ""
            return (f"its checks passed, but it printed to stderr (usually a warning){said}. The self-check and "
                    "nbgrader's Validate button count any stderr output as a failure; grading does not, "
                    "so you keep these points.")
    return "passed only some of its checks."


def _is_stub(source: str) -> bool:
    return "raise NotImplementedError()" in source and "YOUR CODE HERE" in source


def self_check(nb_path: Path) -> CheckResult:
    """Run the notebook as `nbgrader validate` does and collect what fails, in words."""
    from nbgrader import utils as ngu
    from nbgrader.validator import Validator

    nb_path = Path(nb_path).resolve()
    result = CheckResult()
    original = nbformat.read(nb_path, as_version=4)
    stub_text = "YOUR ANSWER HERE"
    optional = _extra_credit_answers(original)
    for cell in original.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        gid = meta.get("grade_id", "?")
        open_code = cell.cell_type == "code" and _is_stub(cell.source)
        open_text = cell.cell_type == "markdown" and cell.source.strip() in ("", stub_text)
        if (open_code or open_text) and gid in optional:
            result.optional_open.append(gid)
        elif open_code:
            result.not_started.append(gid)
        elif open_text:
            result.empty_written.append(gid)

    class _Keep(Validator):
        executed = None

        def _preprocess(self, nb):  # noqa: D401 -- keep the executed notebook for the messages
            self.executed = super()._preprocess(nb)
            return self.executed

    validator = _Keep(config=_load_config(nb_path))
    validator.log.setLevel("CRITICAL")
    # The student checks their own code on their own machine: no sandbox needed.
    env = {"MPLBACKEND": "agg", "COURSE_ALLOW_UNSANDBOXED": os.environ.get("COURSE_ALLOW_UNSANDBOXED", "1"),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    t = time.perf_counter()
    with _environ(env), _quiet_kernel():
        try:
            report = validator.validate(str(nb_path))
        except Exception as e:  # kernel died, timeout with interrupt failing, unreadable notebook...
            report, result.fatal = {}, f"{type(e).__name__}: {_ANSI.sub('', str(e)).strip()[:300]}"
    result.seconds = time.perf_counter() - t

    for item in report.get("type_changed", []):
        result.changed.append(f"a {item['old_type']} cell became a {item['new_type']} cell: {item['source'][:60]!r}")
    nb = validator.executed
    if nb is None:
        if not result.fatal and result.changed:
            result.fatal = "cells changed type, so nbgrader did not run the notebook"
        return result
    if report.get("changed"):
        changed = {c["source"] for c in report["changed"]}
        result.changed += [c.metadata.get("nbgrader", {}).get("grade_id", "?") for c in nb.cells
                           if c.metadata.get("nbgrader") and c.source.strip() in changed]

    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if ngu.is_grade(cell) and _has_code(cell.source) and bonus_points(cell.source) is None:
            result.tests += 1
        if ngu.is_solution(cell) and not ngu.is_grade(cell):
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if errors and errors[0].ename != "NotImplementedError":
                err = errors[0]
                evalue = _CELL_FILE.sub(r"(line \1)", _ANSI.sub("", str(err.evalue)).strip())
                result.broken.append(f"{meta.get('grade_id', '?')}: {err.ename}: {evalue}")
    for cell in validator._get_failed_cells(nb):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.nbgrader
        gid = meta.get("grade_id", "?")
        worth = bonus_points(cell.source)
        failure = Failure(gid, float(meta.get("points", 0) or 0) if worth is None else worth,
                          _explain(cell, _tested_name(gid, result.not_started + result.optional_open)))
        (result.failures if worth is None else result.bonus_failures).append(failure)
    return result


def _extra_credit_answers(nb) -> set[str]:
    """Answer cells that only earn extra credit (skipping them costs nothing): written answers
    worth 0 points, and code answers whose tests are all bonus tests (dlcourse/grading/extra_credit.py)."""
    optional, current, tests = set(), None, []

    def close():
        if current is not None and tests and all(tests):
            optional.add(current)

    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            close()
            current, tests = meta.get("grade_id"), []
            if cell.cell_type == "markdown" and meta.get("grade") and not meta.get("points"):
                optional.add(current)
        elif meta.get("grade") and cell.cell_type == "code":
            tests.append(bonus_points(cell.source) is not None)
    close()
    return optional


_KERNEL_NOISE = ("Kernel is running over TCP without encryption", "Use IPC transport or launch with kernel")


@contextlib.contextmanager
def _quiet_kernel():
    """Hide the kernel's start-up chatter on stderr (file descriptor 2); pass on anything else."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (pytest capture, notebooks)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            rest = [line for line in text.splitlines() if line.strip() and not any(n in line for n in _KERNEL_NOISE)]
            if rest:
                print("\n".join(rest), file=sys.stderr)


@contextlib.contextmanager
def _environ(values: dict):
    """Set (or, for a value of None, unset) environment variables for the duration."""
    old = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def format_check(nb_name: str, r: CheckResult) -> str:
    lines = [f"Self-check of {nb_name} (visible tests only: hidden tests run when your work is graded)"]
    if r.fatal:
        lines.append(f"  The notebook could not be run to the end: {r.fatal}")
        lines.append("  Open it in JupyterLab, choose Kernel > Restart Kernel and Run All Cells, and fix the "
                     "first cell that shows an error.")
    if r.changed:
        lines.append("  You edited read-only or test cells: " + ", ".join(r.changed) + ".")
        lines.append("  Grading restores the original cells, so your edits there are ignored. "
                     "Copy your answers into a fresh copy of the notebook if a test cell was broken.")
    if r.broken:
        lines.append("  Answer cells that raise an error when run (fix these first):")
        lines += [f"    - {b}" for b in r.broken]
    if not r.fatal:
        if r.failures:
            lines.append(f"  {len(r.failures)} of {r.tests} visible test cells FAIL:")
            for f in r.failures:
                pts = f"{f.points:g} point" + ("" if f.points == 1 else "s")
                lines.append(f"    - {f.cell} ({pts}): {f.message}")
        else:
            lines.append(f"  All {r.tests} visible test cells pass.")
    if r.not_started:
        lines.append("  Not started yet (still `raise NotImplementedError()`): " + ", ".join(r.not_started) + ".")
    if r.empty_written:
        lines.append("  Written answers still empty: " + ", ".join(r.empty_written) + ".")
    if r.bonus_failures:
        lines.append("  Bonus tests that fail (extra credit only: you can hand in without them):")
        lines += [f"    - {f.cell} (up to {f.points:g} extra): {f.message}" for f in r.bonus_failures]
    if r.optional_open:
        lines.append("  Extra-credit parts not done (optional, skipping them costs nothing): "
                     + ", ".join(r.optional_open) + ".")
    return "\n".join(lines)


# --------------------------------------------------------------------------- #
# 2. PDF
# --------------------------------------------------------------------------- #

def find_browser() -> str:
    env = os.environ.get("HANDIN_BROWSER")
    if env:
        return env
    for path in BROWSER_PATHS:
        if os.access(path, os.X_OK):
            return path
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise HandinError("Chromium (or Google Chrome) was not found, so no PDF can be made. " + SETUP_HINT)


def find_mathjax() -> Path:
    env = os.environ.get("HANDIN_MATHJAX")
    for cand in ([env] if env else []) + list(MATHJAX_CANDIDATES):
        if cand and Path(cand).is_file():
            return Path(cand)
    raise HandinError("MathJax 2 was not found on this computer, so maths cannot be typeset offline. " + SETUP_HINT)


_REMOTE_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', re.I)
_MODULE_SCRIPT = re.compile(r'<script type="module">.*?</script>', re.S | re.I)


# nbconvert turns on MathJax's automatic line breaking, which measures each formula's container
# while tables are still being laid out: inline maths in a table cell then breaks after every
# symbol (one character per line).  Formulas stay whole; long display maths shrink (pdf_style.css).
_MATHJAX_NO_LINEBREAKS = ('<script type="text/x-mathjax-config">'
                          "MathJax.Hub.Config({CommonHTML: {linebreaks: {automatic: false}}});</script>\n")


_PRE = re.compile(r"(<pre[^>]*>)(.*?)(</pre>)", re.S | re.I)
_TAG_OR_TEXT = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>|[^<]+", re.S)
HANG = 4   # a wrapped code line continues this many characters right of its own indentation


def _pre_lines(inner: str) -> list[str]:
    """The HTML inside a <pre> cut at its newlines, each piece with its own tags closed and reopened."""
    lines, line, open_tags = [], "", []   # open_tags: (name, opening tag)
    for m in _TAG_OR_TEXT.finditer(inner):
        if m.group(2):                       # a tag
            if m.group(1):
                while open_tags and open_tags.pop()[0] != m.group(2).lower():
                    pass
            elif not m.group(0).endswith("/>"):
                open_tags.append((m.group(2).lower(), m.group(0)))
            line += m.group(0)
            continue
        parts = m.group(0).split("\n")
        for part in parts[:-1]:
            lines.append(line + part + "".join(f"</{name}>" for name, _ in reversed(open_tags)))
            line = "".join(tag for _, tag in open_tags)
        line += parts[-1]
    if re.sub(r"<[^>]+>", "", line):
        lines.append(line)
    return lines


def _hanging_indent(match: re.Match) -> str:
    """A <pre> whose lines, when too long for the page, wrap with a hanging indent (readable code)."""
    out = []
    for line in _pre_lines(match.group(2)):
        text = html.unescape(re.sub(r"<[^>]+>", "", line))
        hang = len(text) - len(text.lstrip(" ")) + HANG
        out.append(f'<span class="code-line" style="padding-left: {hang}ch; text-indent: -{hang}ch">{line}</span>')
    return match.group(1) + "".join(out) + match.group(3)


def notebook_html(nb, *, title: str, header: str = "") -> str:
    """The notebook as one self-contained HTML page that needs no network."""
    from nbconvert import HTMLExporter

    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)   # widget state would pull scripts from a CDN
    for cell in nb.cells:              # progress-bar widgets: print their text fallback
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                data.pop("application/vnd.jupyter.widget-view+json")
    mathjax = find_mathjax()
    exporter = HTMLExporter(template_name="lab", embed_images=True,
                            mathjax_url=f"{mathjax.as_uri()}?config={MATHJAX_CONFIG}")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _REMOTE_SCRIPT.sub("", body)
    body = _MODULE_SCRIPT.sub(lambda m: "" if "://" in m.group(0) else m.group(0), body)
    head, sep, rest = body.partition("<body")
    body = head + sep + _PRE.sub(_hanging_indent, rest)
    css = CSS.read_text() if CSS.is_file() else "pre, code { white-space: pre-wrap; overflow-wrap: anywhere; }"
    style = f"<style>\n{css}\n</style>\n"
    body = body.replace("</head>", style + _MATHJAX_NO_LINEBREAKS + "</head>", 1)
    if header:
        body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + f'\n<div class="handin-header">{html.escape(header)}</div>',
                      body, count=1)
    return body


def html_to_pdf(html_file: Path, pdf: Path, timeout: float = 240) -> None:
    """Print a local HTML file to PDF with headless Chromium, after MathJax has typeset.

    `--virtual-time-budget` makes Chromium run the page's timers (MathJax works
    in timer-driven chunks) and finish loading every local file before it prints;
    remote hosts are made unresolvable, so nothing ever waits on a network.
    """
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="handin-chromium-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
               "--allow-file-access-from-files", "--host-resolver-rules=MAP * ~NOTFOUND",
               f"--user-data-dir={profile}", "--run-all-compositor-stages-before-draw",
               "--virtual-time-budget=60000", "--no-pdf-header-footer", "--print-to-pdf-no-header",
               f"--print-to-pdf={pdf}", html_file.resolve().as_uri()]
        pdf.unlink(missing_ok=True)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=profile))
        except subprocess.TimeoutExpired:
            raise HandinError(f"Chromium did not finish printing within {timeout:.0f} s.") from None
    if not pdf.is_file() or pdf.stat().st_size < 1000:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
        raise HandinError(f"Chromium did not write a PDF (exit code {proc.returncode}).\n{tail}")


def export_pdf(nb_path: Path, pdf: Path, *, header: str = "") -> Path:
    nb_path, pdf = Path(nb_path), Path(pdf)
    nb = nbformat.read(nb_path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="handin-html-") as tmp:
        page = Path(tmp) / (nb_path.stem + ".html")
        page.write_text(notebook_html(nb, title=nb_path.stem, header=header), encoding="utf-8")
        html_to_pdf(page, pdf.resolve())
    return pdf


def unexecuted_cells(nb_path: Path) -> int:
    """Code cells with code but no execution count: the PDF would show them without output."""
    nb = nbformat.read(nb_path, as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip() and c.get("execution_count") is None)


# --------------------------------------------------------------------------- #
# 3. Zip
# --------------------------------------------------------------------------- #

def safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.")
    return name


def handin_suffix(nb_path: Path, student: str) -> str:
    """What follows the notebook's name in the zip's name: _<assignment>_<student>.zip.

    JupyterLab names an export's download <notebook name> + this suffix (jupyter_server's
    nbconvert handler appends the exporter's output_extension), so both routes name it alike."""
    return f"_{safe_name(Path(nb_path).resolve().parent.name)}_{safe_name(student)}.zip"


def handin_name(nb_path: Path, student: str) -> str:
    """<notebook>_<assignment>_<student>.zip, e.g. gradient_descent_ps1_jdoe.zip."""
    return Path(nb_path).stem + handin_suffix(nb_path, student)


def make_zip(nb_path: Path, pdf: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(nb_path, nb_path.name)
        zf.write(pdf, nb_path.stem + ".pdf")
    tmp.replace(dest)
    return dest


# --------------------------------------------------------------------------- #

def handin(nb_path: Path, student: str, out: Path | None = None, check: bool = True,
           stream=sys.stdout, strict: bool = False) -> Path:
    """Self-check (unless check=False), PDF and zip; the zip's path.

    strict: raise NotReady, and make no zip, unless the self-check finds nothing to
    fix and every code cell of the saved notebook has been run."""
    nb_path = Path(nb_path)
    if not nb_path.is_file() or nb_path.suffix != ".ipynb":
        raise HandinError(f"{nb_path} is not a notebook file (.ipynb).")
    if not safe_name(student):
        raise HandinError("Give your student id, e.g. --student jdoe (make handin ... student=jdoe).")
    say = lambda s="": print(s, file=stream, flush=True)  # noqa: E731

    find_browser(), find_mathjax()   # fail now, not after a minute of self-check
    result = None
    if check:
        say(f"Checking {nb_path.name} (runs every cell; this can take a minute)...")
        result = self_check(nb_path)
        say(format_check(nb_path.name, result))
        say(f"  (self-check took {result.seconds:.0f} s)")
        say()

    missing = unexecuted_cells(nb_path)
    if missing:
        say(f"{'Not run' if strict else 'Note'}: {missing} code cell(s) have never been run in the saved notebook, "
            "so the PDF would show them without output. In JupyterLab: Kernel > Restart Kernel and Run All Cells, "
            "then File > Save, then hand in again.")
    if strict and ((result is not None and not result.ready) or missing):
        raise NotReady("the self-check found things to fix (listed above). Fix them, save, and hand in again; "
                       "or hand in as it is with --no-check (failing tests lose their points).")
    assignment = nb_path.resolve().parent.name
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = f"{assignment} / {nb_path.name} -- student {student} -- exported {stamp}"
    dest = (Path(out) if out else nb_path.resolve().parent) / handin_name(nb_path, student)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="handin-") as tmp:
        pdf = export_pdf(nb_path, Path(tmp) / (nb_path.stem + ".pdf"), header=header)
        took = time.perf_counter() - t
        make_zip(nb_path, pdf, dest)
    say(f"PDF made in {took:.1f} s.")
    say(f"Hand-in ready: {dest}")
    say("Upload this .zip file (it holds your notebook and its PDF).")
    if result is not None and not result.all_pass:
        say(f"Reminder: {len(result.failures)} visible test cell(s) fail (see above) -- you may hand in as it is, "
            "but those points will be lost." if not result.fatal else
            "Reminder: the notebook did not run to the end (see above); fix that before the deadline.")
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Check a notebook, export it to PDF and zip both for hand-in.")
    ap.add_argument("notebook", type=Path, help="e.g. release/ps1/gradient_descent.ipynb")
    ap.add_argument("--student", required=True, help="your student id (goes into the zip's name)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the zip (default: next to the notebook)")
    ap.add_argument("--no-check", action="store_true", help="skip the self-check (only PDF and zip)")
    ap.add_argument("--strict", action="store_true",
                    help="make no zip unless the self-check finds nothing to fix and every cell has run")
    args = ap.parse_args(argv)
    if args.strict and args.no_check:
        ap.error("--strict needs the self-check: drop --no-check")
    try:
        handin(args.notebook, args.student, args.out, check=not args.no_check, strict=args.strict)
    except HandinError as e:
        print(f"Hand-in not made: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
