"""The self-check: run a notebook as `nbgrader validate` does and say, in plain words, what fails.

nbgrader's own Validator runs the notebook with the course's nbgrader_config.py (the
student kit has its own).  The result lists which visible tests fail and why, which
answers are not started, which written answers are empty, which answer cells raise
and which read-only cells were edited.  Hidden tests only run at grading.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from dlcourse.cells import bonus_points

ROOT = Path(__file__).resolve().parents[2]
STUB_TEXT = "YOUR ANSWER HERE"
CELL_TIMEOUT = 180      # seconds a cell may run (a slow laptop; training cells shrink under nbgrader)


@dataclass
class Failure:
    cell: str           # the test cell's name (nbgrader grade_id)
    points: float
    message: str


@dataclass
class Problem:
    cell: str           # the answer cell's name (nbgrader grade_id)
    message: str        # e.g. "SyntaxError: expected ':' (line 1)"

    def __str__(self) -> str:
        return f"{self.cell}: {self.message}"


@dataclass
class CheckResult:
    tests: int = 0                                   # graded test cells in the notebook
    failures: list[Failure] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)      # answer cells still holding the stub
    empty_written: list[str] = field(default_factory=list)    # written answers still "YOUR ANSWER HERE"
    broken: list[Problem] = field(default_factory=list)       # answer cells that raise an error
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


# progress(done, total): called before each cell runs
Progress = Callable[[int, int], None]


def _find_config(nb_path: Path) -> Path | None:
    for folder in [nb_path.parent, *nb_path.parent.parents, ROOT]:
        if (folder / "nbgrader_config.py").is_file():
            return folder / "nbgrader_config.py"
    return None


def _load_config(nb_path: Path, progress: Progress | None = None):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = Config()
    cfg.Execute.timeout = CELL_TIMEOUT
    path = _find_config(nb_path)
    if path is not None:
        try:
            cfg.merge(PyFileConfigLoader(path.name, str(path.parent)).load_config())
        except Exception:  # a broken or foreign config: nbgrader's defaults + our timeout
            pass
    if progress is not None:   # nbclient's hook, set on nbgrader's Execute preprocessor
        total = len(nbformat.read(nb_path, as_version=4).cells)
        cfg.Execute.on_cell_start = lambda cell, cell_index, **_: progress(cell_index, total)
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
            return _explain_error(out.ename, _ANSI.sub("", str(out.evalue)).strip(), unwritten)
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stderr":
            first = _ANSI.sub("", out.text).strip().splitlines()[:1]
            said = f" ({first[0]})" if first else ""
            return (f"its checks passed, but it printed to stderr (usually a warning){said}. The self-check and "
                    "nbgrader's Validate button count any stderr output as a failure; grading does not, "
                    "so you keep these points.")
    return "passed only some of its checks."


def _explain_error(ename: str, evalue: str, unwritten: str | None) -> str:
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


def _is_stub(source: str) -> bool:
    return "raise NotImplementedError()" in source and "YOUR CODE HERE" in source


def _open_answers(nb, result: CheckResult) -> None:
    """Answer cells still as released: not started (code), empty (written), or optional (extra credit)."""
    optional = _extra_credit_answers(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        gid = meta.get("grade_id", "?")
        open_code = cell.cell_type == "code" and _is_stub(cell.source)
        open_text = cell.cell_type == "markdown" and cell.source.strip() in ("", STUB_TEXT)
        if (open_code or open_text) and gid in optional:
            result.optional_open.append(gid)
        elif open_code:
            result.not_started.append(gid)
        elif open_text:
            result.empty_written.append(gid)


def _run_validator(nb_path: Path, result: CheckResult, progress: Progress | None):
    """nbgrader's Validator on the notebook: (its report, the executed notebook or None)."""
    from nbgrader.validator import Validator

    class _Keep(Validator):
        executed = None

        def _preprocess(self, nb):  # noqa: D401 -- keep the executed notebook for the messages
            self.executed = super()._preprocess(nb)
            return self.executed

    validator = _Keep(config=_load_config(nb_path, progress))
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
    return report, validator, validator.executed


def self_check(nb_path: Path, progress: Progress | None = None) -> CheckResult:
    """Run the notebook as `nbgrader validate` does and collect what fails, in words."""
    nb_path = Path(nb_path).resolve()
    result = CheckResult()
    _open_answers(nbformat.read(nb_path, as_version=4), result)
    report, validator, nb = _run_validator(nb_path, result, progress)
    for item in report.get("type_changed", []):
        result.changed.append(f"a {item['old_type']} cell became a {item['new_type']} cell: {item['source'][:60]!r}")
    if nb is None:
        if not result.fatal and result.changed:
            result.fatal = "cells changed type, so nbgrader did not run the notebook"
        return result
    if report.get("changed"):
        changed = {c["source"] for c in report["changed"]}
        result.changed += [c.metadata.get("nbgrader", {}).get("grade_id", "?") for c in nb.cells
                           if c.metadata.get("nbgrader") and c.source.strip() in changed]
    _collect_outcomes(nb, validator._get_failed_cells(nb), result)
    return result


def _collect_outcomes(nb, failed_cells, result: CheckResult) -> None:
    """Test cells counted, answer cells that raise, and the failing tests, from the executed notebook."""
    from nbgrader import utils as ngu

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if ngu.is_grade(cell) and _has_code(cell.source) and bonus_points(cell.source) is None:
            result.tests += 1
        if ngu.is_solution(cell) and not ngu.is_grade(cell):
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if errors and errors[0].ename != "NotImplementedError":
                err = errors[0]
                evalue = _CELL_FILE.sub(r"(line \1)", _ANSI.sub("", str(err.evalue)).strip())
                result.broken.append(Problem(cell.metadata.nbgrader.get("grade_id", "?"), f"{err.ename}: {evalue}"))
    for cell in failed_cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.nbgrader
        gid = meta.get("grade_id", "?")
        worth = bonus_points(cell.source)
        failure = Failure(gid, float(meta.get("points", 0) or 0) if worth is None else worth,
                          _explain(cell, _tested_name(gid, result.not_started + result.optional_open)))
        (result.failures if worth is None else result.bonus_failures).append(failure)


def _extra_credit_answers(nb) -> set[str]:
    """Answer cells that only earn extra credit (skipping them costs nothing): written answers
    worth 0 points, and code answers whose tests are all bonus tests (dlcourse.cells)."""
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


def unexecuted_cells(nb) -> list[int]:
    """Indices of code cells with code but no execution count: the PDF would show them without output."""
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.source.strip() and c.get("execution_count") is None]


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
