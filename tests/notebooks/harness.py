"""Run a notebook's test cells against swapped-in answers, in one live kernel.

A full `nbgrader autograde` per wrong answer would take minutes each.  Instead
a `NotebookSession` executes the instructor notebook once (reference answers,
hidden tests included, every code cell in order as nbgrader runs it) in a
real Jupyter kernel, then for each mutant:

1. executes the mutant's code in place of one solution cell,
2. re-runs the test cells that grade it,
3. scores their outputs with nbgrader's own `determine_grade` (after the
   course's StderrIsNotFailure rule, as `nbgrader autograde` here does),
4. restores the reference answer.

The kernel runs with NBGRADER_EXECUTION=autograde, as under nbgrader, so long
training shrinks exactly as it does when grading.  A handful of end-to-end
`nbgrader autograde` runs (tests/test_pipeline.py) prove the real pipeline.

While it runs the notebook, every matplotlib figure is audited after each cell
(tests/notebooks/figure_audit.py: title, axis labels, legends, colour-blind-safe colours);
`figures` lists them after `run_all`.
"""
from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_client.manager import start_new_kernel
from nbformat.v4 import output_from_msg
from nbgrader.utils import determine_grade

from tests.notebooks import figure_audit
from dlcourse.cells import bonus_points, cell_names, is_end_to_end, passed
from dlcourse.grading.preprocessors import stderr_to_stdout

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    outputs: list = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.points < self.max_points

    def error_text(self) -> str:
        for out in self.outputs:
            if out.get("output_type") == "error":
                return f"{out['ename']}: {out['evalue']}"
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                return "stderr: " + out["text"][:300]
        return ""


class NotebookSession:
    """One kernel running one source notebook, with helpers to swap answers."""

    def __init__(self, notebook: Path, timeout: float = 300):
        self.path = Path(notebook)
        self.nb = nbformat.read(self.path, as_version=4)
        self.timeout = timeout
        self.cells = {c.metadata["nbgrader"]["grade_id"]: c for c in self.nb.cells
                      if "nbgrader" in c.metadata and c.cell_type == "code"}
        self.order = [c.metadata["nbgrader"]["grade_id"] for c in self.nb.cells
                      if "nbgrader" in c.metadata and c.cell_type == "code"]
        self.figures: list[dict] = []   # after run_all: {"cell", "title", "problems"} per figure
        # Run in a scratch copy of the assignment folder, as a hand-in would.
        self.workdir = Path(tempfile.mkdtemp(prefix=f"mut-{self.path.stem}-"))
        for item in self.path.parent.iterdir():
            if item.is_file():
                shutil.copy(item, self.workdir / item.name)
        env = dict(os.environ, NBGRADER_EXECUTION="autograde", MPLBACKEND="agg")
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(self.workdir), env=env)
        self.baseline: dict[str, CellResult] = {}
        self._pending: tuple[str, list[int]] | None = None   # a reference answer still swapped out
        self._check_quiet(self.execute(_AUDIT_SETUP), "setting up the figure audit")

    # -- low level ---------------------------------------------------------
    def execute(self, code: str) -> list:
        """Run code in the kernel; return the outputs as notebook output dicts."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
        outputs = []
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=self.timeout)
            except Empty:
                self.km.interrupt_kernel()
                raise TimeoutError(f"cell took longer than {self.timeout}s") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
            if kind in ("stream", "error", "execute_result", "display_data"):
                outputs.append(output_from_msg(msg))
        self.kc.get_shell_msg(timeout=self.timeout)
        return outputs

    def grade(self, grade_id: str, outputs: list) -> CellResult:
        cell = nbformat.from_dict(dict(self.cells[grade_id]))
        # Scored as the course's autograde scores it: stderr alone is no failure.
        cell.outputs = stderr_to_stdout([nbformat.from_dict(dict(o)) for o in outputs])
        worth = bonus_points(cell.source)
        if worth is not None:  # a bonus test: its points are extra credit when it passes
            return CellResult(grade_id, worth if passed(cell.outputs) else 0.0, worth, outputs)
        points, max_points = determine_grade(cell)
        return CellResult(grade_id, float(points), float(max_points), outputs)

    # -- notebook level ----------------------------------------------------
    def run_all(self) -> dict[str, CellResult]:
        """Execute every code cell in order (nbgrader's and unmarked ones, as autograde does);
        remember the test results and audit the figures after each cell."""
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            outputs = self.execute(cell.source)
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in self.cells and self.cells[gid].metadata["nbgrader"].get("grade"):
                self.baseline[gid] = self.grade(gid, outputs)
            self._check_quiet(self.execute(f"{_AUDIT}.audit_open_figures({index})"), "auditing figures")
        outputs = self.execute(f"print({_AUDIT}.report())")
        self._check_quiet([o for o in outputs if o.get("name") != "stdout"], "reporting figures")
        self.figures = json.loads("".join(o["text"] for o in outputs))
        return self.baseline

    @staticmethod
    def _check_quiet(outputs: list, what: str) -> None:
        if outputs:
            raise RuntimeError(f"{what} in the kernel went wrong: {outputs}")

    def test_ids(self) -> list[str]:
        return [g for g in self.order if self.cells[g].metadata["nbgrader"].get("grade")]

    def solution_ids(self) -> list[str]:
        return [g for g in self.order if self.cells[g].metadata["nbgrader"].get("solution")]

    def tests_for(self, solution_id: str) -> list[str]:
        """Test cells between this solution cell and the next solution cell."""
        i = self.order.index(solution_id)
        out = []
        for gid in self.order[i + 1:]:
            meta = self.cells[gid].metadata["nbgrader"]
            if meta.get("solution"):
                break
            if meta.get("grade"):
                out.append(gid)
        return out

    def try_answer(self, solution_id: str, code: str, tests: list[str] | None = None,
                   replay: bool = True) -> list[CellResult]:
        """Swap `code` in for a solution cell, run its tests, restore the reference.

        tests:  the test cells to score (default: those that follow the solution
                cell, up to the next solution cell).
        replay: also re-run the provided (non-solution, non-test) cells between
                the solution cell and the last of those tests, as a real run of
                the notebook would -- for example a training cell that uses the
                student's function before the tests check its result.
        """
        self.restore()
        tests = tests or self.tests_for(solution_id)
        start = self.order.index(solution_id) + 1
        stop = max(self.order.index(t) for t in tests) + 1
        between = [g for g in self.order[start:stop]
                   if not self.cells[g].metadata["nbgrader"].get("solution")
                   and not self.cells[g].metadata["nbgrader"].get("grade")] if replay else []
        results = []
        try:
            self.execute(code)
            for gid in self.order[start:stop]:
                if gid in tests:
                    results.append(self.grade(gid, self.execute(self.cells[gid].source)))
                elif gid in between:
                    self.execute(self.cells[gid].source)
            return results
        finally:
            self.execute(self.cells[solution_id].source)
            for gid in between:
                self.execute(self.cells[gid].source)

    # -- one mistake, one penalty -----------------------------------------
    def downstream(self, solution_id: str, every_cell: bool = False) -> list[int]:
        """Indices (into self.nb.cells) of the code cells after a solution cell that use what it
        defines, directly or through names defined from it (a function calling it, a model
        trained with it, ...), in notebook order: what a real run of the notebook would
        compute differently if that answer changed.  Only those that feed a test, unless
        every_cell (plots and printouts too)."""
        cells = self.nb.cells
        start = next(i for i, c in enumerate(cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == solution_id)
        dirty = set(cell_names(cells[start].source)[0])
        out = []
        for i in range(start + 1, len(cells)):
            if cells[i].cell_type != "code":
                continue
            assigned, referenced = cell_names(cells[i].source)
            if referenced & dirty:
                out.append(i)
                dirty |= assigned
        return out if every_cell else self._feeding_tests(out)

    def _feeding_tests(self, indices: list[int]) -> list[int]:
        """Of these cells, the test cells and the cells whose results a later one of them reads
        (a backward slice): a provided cell whose results no test reads -- a plot, a printout --
        cannot change a score, so it need not run again."""
        needed_names: set[str] = set()
        keep = []
        for i in reversed(indices):
            cell = self.nb.cells[i]
            assigned, referenced = cell_names(cell.source)
            is_test = bool(cell.metadata.get("nbgrader", {}).get("grade"))
            if is_test or assigned & needed_names:
                keep.append(i)
                needed_names |= referenced
        return keep[::-1]

    def try_answer_everywhere(self, solution_id: str, code: str, every_cell: bool = False) -> list[CellResult]:
        """Swap `code` in for a solution cell and re-run every later cell that depends on it
        (`downstream`), as a real run of the notebook would; score every test cell among them.
        every_cell: also the cells no test reads (plots, printouts), each of which fails (a
        result worth 1 point, 0 scored) if it shows an error.

        The reference is put back lazily: the next call for the *same* cell needs no restore
        (it re-runs the same downstream cells over its own answer), anything else restores first
        (the reference answer, then the same downstream cells)."""
        if self._pending and self._pending[0] != solution_id:
            self.restore()
        again = self.downstream(solution_id, every_cell)
        if self._pending and self._pending[1] != again:
            self.restore()
        self._pending = (solution_id, again)
        results = []
        try:
            self.execute(code)
            for i in again:
                cell = self.nb.cells[i]
                outputs = self.execute(cell.source)
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in self.cells and self.cells[gid].metadata["nbgrader"].get("grade"):
                    results.append(self.grade(gid, outputs))
                elif every_cell and not passed(outputs):
                    results.append(CellResult(f"cell {i} ({gid or 'provided'})", 0.0, 1.0, outputs))
            if every_cell:
                self.execute("__import__('matplotlib.pyplot').pyplot.close('all')")
        except BaseException:
            self.restore()
            raise
        return results

    def restore(self) -> None:
        """Put back the reference answer left swapped out by try_answer_everywhere, if any."""
        if self._pending:
            solution_id, again = self._pending
            self._pending = None
            self.execute(self.cells[solution_id].source)
            for i in again:
                self.execute(self.nb.cells[i].source)

    def is_end_to_end(self, grade_id: str) -> bool:
        return is_end_to_end(self.cells[grade_id])

    def close(self) -> None:
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


# The audit runs inside the kernel: tests/notebooks/figure_audit.py's source, as a module of its own there.
_AUDIT = "__course_figure_audit"
_AUDIT_SETUP = (f"import types as _t\n{_AUDIT} = _t.ModuleType('course_figure_audit')\n"
                f"exec({inspect.getsource(figure_audit)!r}, {_AUDIT}.__dict__)\ndel _t\n")
