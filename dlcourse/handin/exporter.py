"""The hand-in from JupyterLab's menu: File > Save and Export Notebook As > Handin.

Two nbconvert exporters, registered as the export formats `handin` and
`handin_skip_check` (entry points in pyproject.toml and the student kit's), so
JupyterLab lists them as "Handin" and "Handin_skip_check" among its export
formats (it names each by its format, first letter capitalised); no lab
extension is needed.  JupyterLab saves the notebook and opens the export's
URL in a new browser tab; the server hands the saved notebook to the exporter.

- Handin runs `python -m dlcourse.handin.handin <notebook> --student <id> --strict`, the
  command-line hand-in with its self-check (nbgrader's validate, reported in
  plain words).  If anything is left to fix -- a visible test fails, an answer
  is not started or a written answer is empty, a test cell was edited, the
  notebook does not run to the end, or a cell of the saved notebook was never
  run -- no zip is made and the export fails: the new tab shows the server's
  error page ("nbconvert failed: Hand-in NOT made ...") with the self-check's
  list of what fails and why, and how to hand in anyway.  Otherwise the tab
  downloads the zip.  The check runs every cell (10-30 s with the course's
  short training), in a process of its own, so the server's environment and
  its other kernels are untouched.
- Handin_skip_check makes the PDF and the zip without the self-check, as
  `python -m dlcourse.handin.handin ... --no-check` does (a few seconds).

Both leave the zip next to the notebook and send it to the browser under the
same name as the command line's, <notebook>_<assignment>_<id>.zip (jupyter_server
names the download <notebook> + the exporter's output_extension).  The student
id comes from $HANDIN_STUDENT, which `make lab student=<id>` sets.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from nbconvert.exporters import Exporter
from traitlets import Unicode

from dlcourse.handin import handin

ENV_STUDENT = "HANDIN_STUDENT"
SKIP_CHECK_FORMAT = "handin_skip_check"          # its entry point's name: JupyterLab shows "Handin_skip_check"
MENU = "File > Save and Export Notebook As"
SERVER_PREFIX = "nbconvert failed: "              # what jupyter_server puts before the exporter's message
PAGE_WIDTH = 100                                  # characters per line of the report on the error page
CHECK_TIMEOUT = 1800                              # seconds for self-check + PDF (cells time out after 180 s each)


class ExportError(handin.HandinError):
    """What the student reads on the error page JupyterLab opens when an export fails.

    jupyter_server wraps the exporter's exception as HTTPError(500, "nbconvert failed: %s" % e)
    and its error page shows `log_message % args`; tornado (>= 6.3) escapes a "%" in a message
    without args, so the text reaches the page as it is (tests/handin/test_kit.py checks)."""


def _checked_handin(nb_path: Path, student: str) -> Path:
    """The command-line hand-in with --strict, in a process of its own; the zip's path."""
    cmd = [sys.executable, "-m", "dlcourse.handin.handin", str(nb_path), "--student", student, "--strict"]
    try:
        proc = subprocess.run(cmd, cwd=handin.ROOT, capture_output=True, text=True, timeout=CHECK_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ExportError(f"Hand-in NOT made: the self-check did not finish within {CHECK_TIMEOUT // 60} minutes. "
                          "Look for a cell that runs for ever, or hand in from a terminal: "
                          f"python -m dlcourse.handin.handin {nb_path.name} --student {student}") from None
    if proc.returncode == 0:
        return nb_path.parent / handin.handin_name(nb_path, student)
    report = proc.stdout.strip()
    if "Self-check of" not in report:             # no self-check ran: the set-up is missing something
        said = [line for line in proc.stderr.splitlines() if line.strip()]
        raise ExportError("\n".join(said[-12:]) or f"the hand-in command failed (exit code {proc.returncode}).")
    report = report[report.index("Self-check of"):]
    raise ExportError(page_text(
        "Hand-in NOT made: the self-check found things to fix.\n\n"
        f"{report}\n\n"
        f"Fix them, run Kernel > Restart Kernel and Run All Cells, save, and choose {MENU} > Handin again.\n"
        f"To hand in the notebook as it is (tests that fail lose their points): {MENU} > Handin_skip_check.\n"
        "Close this tab to go back to your notebook."))


def page_text(text: str, width: int = PAGE_WIDTH) -> str:
    """The report as jupyter_server's error page shows it well: in a <pre> whose lines it centres one
    by one.  Lines are wrapped to `width` (continuations indented) and padded with spaces to one
    length, so the block is centred and its lines start flush, bullets indented, no scrolling."""
    lines = []
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        lines += textwrap.wrap(line, width, subsequent_indent=" " * (indent + 4), break_long_words=False,
                               break_on_hyphens=False) or [""]
    longest = max([len(SERVER_PREFIX) + len(lines[0])] + [len(line) for line in lines[1:]])
    lines[0] = lines[0].ljust(longest - len(SERVER_PREFIX))    # the page shows the prefix before it
    return "\n".join([lines[0]] + [line.ljust(longest) for line in lines[1:]])


class HandinExporter(Exporter):
    """Self-check, then PDF + zip; fails with the self-check's report if anything is left to fix."""

    export_from_notebook = "Hand-in (self-check, PDF + zip)"
    output_mimetype = "application/zip"
    self_check = True
    student = Unicode("", help=f"The student id in the zip's name (default: ${ENV_STUDENT}).").tag(config=True)

    def _file_extension_default(self):
        return ".zip"

    def from_notebook_node(self, nb, resources=None, **kw):
        nb, resources = super().from_notebook_node(nb, resources, **kw)
        student = self.student or os.environ.get(ENV_STUDENT, "")
        if not handin.safe_name(student):
            raise ExportError(
                "your student id is not set: close JupyterLab (File > Shut Down) and start it again with "
                "`make lab student=<your id>`, or run `make handin nb=<notebook> student=<your id>`.")
        meta = resources.get("metadata", {})
        if not meta.get("path") or not meta.get("name"):
            raise ExportError("the notebook is not a saved file; save it in the course folder first.")
        nb_path = Path(meta["path"]) / f"{meta['name']}.ipynb"
        if self.self_check:
            zip_path = _checked_handin(nb_path, student)
        else:
            try:
                zip_path = handin.handin(nb_path, student, check=False, stream=io.StringIO())
            except handin.HandinError as e:
                raise ExportError(str(e)) from None
        # download name: <notebook> + this = <notebook>_<assignment>_<id>.zip, the zip's own name
        resources["output_extension"] = handin.handin_suffix(nb_path, student)
        return zip_path.read_bytes(), resources


class HandinSkipCheckExporter(HandinExporter):
    """PDF + zip without the self-check."""

    export_from_notebook = "Hand-in without self-check (PDF + zip)"
    self_check = False
