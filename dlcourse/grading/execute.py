"""The course's Execute preprocessor for `nbgrader autograde` (nbgrader_config.py).

GuardedExecute is nbgrader's Execute (sandboxed kernels, dlcourse/grading/sandbox.py) plus:

Guarded test helpers (`guard_helpers`)
    Test cells call `check`, `assert_close`, ... from the notebook's namespace, where a
    student's answer cell could rebind them, patch utils.testing or patch builtins.  Right
    after the kernel starts, before any student code, the guard (dlcourse/grading/guard/) is
    installed in it.  Before each test cell it puts back the pristine builtins, numpy (and
    torch when the test cells use it), utils.testing (a fresh copy of the module), and
    rebinds the helpers and the library names the provided cells import and the test cells
    use; after the test cell it checks nothing of that changed while the test ran.  A test
    whose helpers changed, or whose guard did not answer, gets an error output
    "TamperingDetected: ..." and scores 0.

A cell that ignores the interrupt (`restart_stuck_kernel`)
    nbclient interrupts a cell that runs past `timeout`; if the kernel stays busy (a loop
    ignoring SIGINT) nbclient raises CellTimeoutError and nbgrader would not grade the
    hand-in at all.  Instead the cell gets an error output (it scores 0), the kernel is
    killed and restarted, the cells that ran before it (all but test cells and cells that
    timed out) are re-run silently to rebuild the state, and grading goes on with the next
    cell.  If that replay fails too, the remaining cells get a "NotRun" error (0 points)
    and the hand-in is still graded.  The log says what happened; tamper.review lists it.
"""
from __future__ import annotations

import ast

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool

from dlcourse.cells import is_test_cell
from dlcourse.grading import tamper
from dlcourse.grading.guard import preload_for
from dlcourse.grading.guard.client import GuardClient


def error_output(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def provided_imports(nb) -> dict[str, str]:
    """{name: "module" or "module.attribute"} bound by the top-level imports of the notebook's
    locked, non-answer cells (restored from the gradebook before grading, so the instructor's)."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("locked") or meta.get("solution"):
            continue
        try:
            tree = ast.parse(tamper.strip_magics(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    top = a.name.split(".")[0]
                    out[a.asname or top] = a.name if a.asname else top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def test_cell_names(nb) -> list[str]:
    """The identifiers the notebook's test cells use (the guard picks helpers and builtins)."""
    used = set()
    for cell in nb.cells:
        if is_test_cell(cell):
            used |= tamper.identifiers(cell.source)
    return sorted(used)


class GuardedExecute(Execute):
    guard_helpers = Bool(True, help="Restore the test helpers, utils.testing and builtins before each "
                                    "test cell and fail a test whose helpers changed while it ran.").tag(config=True)
    restart_stuck_kernel = Bool(True, help="When a cell ignores the timeout's interrupt, score it 0, restart "
                                           "the kernel, re-run the cells before it and go on (instead of "
                                           "failing the whole hand-in).").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        names = test_cell_names(nb)
        code = set().union(*(tamper.identifiers(c.source) for c in nb.cells if c.cell_type == "code"))
        self._install = (names, {n: m for n, m in provided_imports(nb).items() if n in names}, preload_for(code))
        self._guard = GuardClient(self)
        self._done: list[int] = []
        self._given_up = ""
        return super().preprocess(nb, resources, km)

    def start_new_kernel_client(self):
        kc = super().start_new_kernel_client()
        if self.guard_helpers:
            self._guard.install(*self._install)
        return kc

    # -- cells ------------------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        self._check_assign_resources(resources)
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, self.resources
        if self._given_up:
            cell.outputs = [error_output(tamper.NOT_RUN, self._given_up)]
            cell.execution_count = None
            return cell, self.resources
        guarded = self.guard_helpers and is_test_cell(cell)
        problem = self._guard.check("before") if guarded else ""
        try:
            cell = self.execute_cell(cell, index, store_history=True)
        except CellTimeoutError:
            if not self.restart_stuck_kernel:
                raise
            self._recover(cell, index)
            return cell, self.resources
        if guarded:
            problem = problem or self._guard.check("after")
            if problem:
                name = cell.metadata["nbgrader"].get("grade_id", index)
                self.log.warning("Test %s scores 0: %s", name, problem)
                cell.outputs.append(error_output(
                    tamper.TAMPERED, f"{problem}. The test helpers, builtins, numpy and torch must not be changed; "
                                     "this test scores 0."))
        if not any(o.get("ename") == tamper.STUCK for o in cell.outputs):
            self._done.append(index)  # ran to its end: re-run after a restart (not a timed-out cell)
        return cell, self.resources

    # -- a cell that ignored the interrupt -----------------------------------------
    async def _async_restart(self) -> None:
        await ensure_async(self.km.restart_kernel(now=True))
        await ensure_async(self.kc.stop_channels())
        self.kc = None

    def _recover(self, cell, index: int) -> None:
        name = cell.metadata.get("nbgrader", {}).get("grade_id", f"#{index}")
        cell.outputs.append(error_output(
            tamper.STUCK, f"this cell ran past the time limit ({self._get_timeout(cell)} s) and did not stop "
                          f"when interrupted: it scores 0 and {tamper.RESTART_NOTE}, the cells before it re-run"))
        self.log.warning("Cell %s ignored the interrupt after %s s: restarting the kernel and re-running "
                         "the %d cells before it", name, self._get_timeout(cell), len(self._done))
        try:
            run_sync(self._async_restart)()
            self.start_new_kernel_client()
            self._replay()
        except Exception as e:  # noqa: BLE001  (any failure to resume: grade what ran)
            self._given_up = (f"not run: cell {name} had to be stopped and the notebook could not be "
                              f"resumed ({type(e).__name__}: {e})")
            self.log.warning("Giving up on the cells after %s: %s", name, e)

    def _replay(self) -> None:
        """Re-run, silently, the cells that ran to their end before (not the test cells)."""
        for i in self._done:
            earlier = self.nb.cells[i]
            if is_test_cell(earlier):
                continue
            msg_id = self.kc.execute(earlier.source, silent=True, store_history=False,
                                     allow_stdin=False, stop_on_error=False)
            if self.wait_for_reply(msg_id, earlier) is None:
                raise RuntimeError(f"cell #{i} did not finish when re-run")
