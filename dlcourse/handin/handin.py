"""Turn a student's notebook into a hand-in: self-check, PDF, zip.

    python -m dlcourse.handin.handin release/ps1/gradient_descent.ipynb --student jdoe
    make handin nb=release/ps1/gradient_descent.ipynb student=jdoe

1. Self-check (selfcheck.py): runs the notebook as `nbgrader validate` does and
   says in plain words what fails (report.py).  Hidden tests only run at grading.
2. PDF (pdf.py): the notebook as JupyterLab shows it, maths by MathJax 3,
   printed by a Chromium-based browser already on the computer (browser.py).
   The PDF shows the notebook as saved: run all cells and save first.
3. Zip: <notebook>_<assignment>_<student>.zip (e.g. gradient_descent_ps1_jdoe.zip)
   holding the .ipynb and the PDF, next to the notebook (or in --out).

With --strict no zip is made unless the self-check finds nothing to fix and every
code cell of the saved notebook has run.  With --json (what JupyterLab's Hand in
button runs, through server.py) progress and the outcome are JSON lines on stdout.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.handin import report
from dlcourse.handin.browser import find_browser
from dlcourse.handin.errors import HandinError
from dlcourse.handin.pdf import export_pdf, find_mathjax
from dlcourse.handin.report import format_check
from dlcourse.handin.selfcheck import (CheckResult, Failure, Problem, _environ, _explain, _has_code,  # noqa: F401
                                       _quiet_kernel, self_check, unexecuted_cells)
from dlcourse.names import handin_zip_name, safe_name  # noqa: F401  (safe_name: server.py)

class NotReady(HandinError):
    """--strict: the self-check found something to fix, so no zip was made."""


@dataclass
class Outcome:
    """What one hand-in found and made."""
    nb_path: Path
    check: CheckResult | None      # None: the self-check did not run
    unexecuted: list[int]          # code cells never run in the saved notebook
    strict: bool
    zip: Path | None = None
    pdf_seconds: float = 0.0

    @property
    def ready(self) -> bool:
        return (self.check is None or self.check.ready) and not (self.strict and self.unexecuted)


def handin_name(nb_path: Path, student: str) -> str:
    """<notebook>_<assignment>_<student>.zip, e.g. gradient_descent_ps1_jdoe.zip (dlcourse.names,
    which `dlcourse collect` reads back)."""
    nb_path = Path(nb_path)
    return handin_zip_name(nb_path.stem, nb_path.resolve().parent.name, student)


def make_zip(nb_path: Path, pdf: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(nb_path, nb_path.name)
        zf.write(pdf, nb_path.stem + ".pdf")
    tmp.replace(dest)
    return dest


def check_setup() -> None:
    """Fail now, not after a minute of self-check, when the PDF cannot be made."""
    find_browser(), find_mathjax()


def _validate(nb_path: Path, student: str) -> None:
    if not nb_path.is_file() or nb_path.suffix != ".ipynb":
        raise HandinError(f"{nb_path} is not a notebook file (.ipynb).")
    if not safe_name(student):
        raise HandinError("Give your student id, e.g. --student jdoe (make handin ... student=jdoe).")


def run(nb_path: Path, student: str, out: Path | None = None, check: bool = True, strict: bool = False,
        progress=None) -> Outcome:
    """Self-check (unless check=False), then PDF and zip unless strict and something is left to fix.
    progress(stage, done, total) hears of each step."""
    nb_path = Path(nb_path)
    _validate(nb_path, student)
    check_setup()
    say = progress or (lambda *a: None)
    result = None
    if check:
        say("check", 0, 0)
        result = self_check(nb_path, progress=lambda done, total: say("check", done, total))
    outcome = Outcome(nb_path, result, unexecuted_cells(nbformat.read(nb_path, as_version=4)), strict)
    if strict and not outcome.ready:
        return outcome
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = f"{nb_path.resolve().parent.name} / {nb_path.name} -- student {student} -- exported {stamp}"
    dest = (Path(out) if out else nb_path.resolve().parent) / handin_name(nb_path, student)
    say("pdf", 0, 0)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="handin-") as tmp:
        pdf = export_pdf(nb_path, Path(tmp) / (nb_path.stem + ".pdf"), header=header)
        outcome.pdf_seconds = time.perf_counter() - t
        say("zip", 0, 0)
        outcome.zip = make_zip(nb_path, pdf, dest)
    return outcome


def handin(nb_path: Path, student: str, out: Path | None = None, check: bool = True,
           stream=sys.stdout, strict: bool = False) -> Path:
    """The command line's hand-in: self-check, PDF and zip, reported as text on `stream`; the zip's path.
    strict: raise NotReady, and make no zip, unless nothing is left to fix."""
    say = lambda s="": print(s, file=stream, flush=True)  # noqa: E731
    if check:
        _validate(Path(nb_path), student)
        check_setup()
        say(f"Checking {Path(nb_path).name} (runs every cell; this can take a minute)...")
    outcome = run(nb_path, student, out, check=check, strict=strict)
    if outcome.check is not None:
        say(format_check(Path(nb_path).name, outcome.check))
        say(f"  (self-check took {outcome.check.seconds:.0f} s)")
        say()
    if outcome.unexecuted:
        say(report.not_run_message(len(outcome.unexecuted), strict))
    if outcome.zip is None:
        raise NotReady("the self-check found things to fix (listed above). Fix them, save, and hand in again; "
                       "or hand in as it is with --no-check (failing tests lose their points).")
    say(f"PDF made in {outcome.pdf_seconds:.1f} s.")
    say(f"Hand-in ready: {outcome.zip}")
    say("Upload this .zip file (it holds your notebook and its PDF).")
    r = outcome.check
    if r is not None and not r.all_pass:
        say(f"Reminder: {len(r.failures)} visible test cell(s) fail (see above) -- you may hand in as it is, "
            "but those points will be lost." if not r.fatal else
            "Reminder: the notebook did not run to the end (see above); fix that before the deadline.")
    return outcome.zip


def result_json(outcome: Outcome | None, error: str = "") -> dict:
    """The outcome as JupyterLab's Hand in panel reads it (labextension/src/api.ts: IResult)."""
    if outcome is None:
        return {"made": False, "checked": False, "ready": None, "summary": error, "items": [], "report": "",
                "zip": None, "error": error, "check_seconds": None}
    nb = nbformat.read(outcome.nb_path, as_version=4)
    r = outcome.check
    text = format_check(outcome.nb_path.name, r) if r is not None else ""
    if outcome.unexecuted:
        text += ("\n" if text else "") + report.not_run_message(len(outcome.unexecuted), outcome.strict)
    return {"made": outcome.zip is not None, "checked": r is not None, "ready": r.ready if r else None,
            "summary": report.summary(r, len(outcome.unexecuted)),
            "items": report.items(r, nb, outcome.unexecuted if outcome.strict else []),
            "report": text, "zip": zip_info(outcome.zip), "error": None,
            "check_seconds": round(r.seconds, 1) if r else None}


def zip_info(path: Path | None, root: Path | None = None) -> dict | None:
    if path is None or not path.is_file():
        return None
    st = path.stat()
    return {"name": path.name, "path": str(path.relative_to(root).as_posix()) if root else str(path),
            "size": st.st_size,
            "mtime": _dt.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec="seconds")}


def _main_json(args) -> int:
    """--json: progress and the outcome as JSON lines on stdout; exit 0 when a zip was made."""
    def emit(**event):
        print(json.dumps(event), flush=True)

    def progress(stage, done, total):
        emit(event="progress", stage=stage, done=done, total=total)

    try:
        with _quiet_kernel():
            outcome = run(args.notebook, args.student, args.out, check=not args.no_check, strict=args.strict,
                          progress=progress)
        result = result_json(outcome)
    except HandinError as e:
        result = result_json(None, str(e))
    emit(event="result", result=result)
    return 0 if result["made"] else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Check a notebook, export it to PDF and zip both for hand-in.")
    ap.add_argument("notebook", type=Path, help="e.g. release/ps1/gradient_descent.ipynb")
    ap.add_argument("--student", required=True, help="your student id (goes into the zip's name)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the zip (default: next to the notebook)")
    ap.add_argument("--no-check", action="store_true", help="skip the self-check (only PDF and zip)")
    ap.add_argument("--strict", action="store_true",
                    help="make no zip unless the self-check finds nothing to fix and every cell has run")
    ap.add_argument("--json", action="store_true", help="progress and outcome as JSON lines (for JupyterLab)")
    args = ap.parse_args(argv)
    if args.strict and args.no_check:
        ap.error("--strict needs the self-check: drop --no-check")
    if args.json:
        return _main_json(args)
    try:
        handin(args.notebook, args.student, args.out, check=not args.no_check, strict=args.strict)
    except HandinError as e:
        print(f"Hand-in not made: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
