"""Graders are code under test: wrong answers must lose points, right ones keep them.

One kernel per notebook executes the instructor notebook once; every mutant
from dlcourse/authoring/mistakes/ is then swapped in and its tests re-run (see harness.py).
"""
from __future__ import annotations

import nbformat
import pytest

from dlcourse.authoring import mistakes as mutants
from tests.notebooks.harness import NotebookSession

SPECS = mutants.by_notebook()
_sessions: dict = {}


def session(path) -> NotebookSession:
    if path not in _sessions:
        s = NotebookSession(path)
        s.run_all()
        _sessions[path] = s
    return _sessions[path]


@pytest.fixture(scope="session", autouse=True)
def _close_sessions():
    yield
    for s in _sessions.values():
        s.close()


def _cases(kind):
    for path, spec in SPECS.items():
        for cell_id, cell_spec in spec.items():
            for name, code, tests, replay in mutants.entries(cell_spec, kind):
                yield pytest.param(path, cell_id, code, tests, replay,
                                   id=f"{path.parent.name}/{path.stem}:{cell_id}:{name}",
                                   marks=pytest.mark.xdist_group(path.stem))


def _summary(results):
    return "; ".join(f"{r.grade_id}: {r.points:g}/{r.max_points:g} {r.error_text()}" for r in results)


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.stem}",
                                               marks=pytest.mark.xdist_group(p.stem)) for p in SPECS])
def test_reference_gets_full_marks(path):
    s = session(path)
    failed = [r for r in s.baseline.values() if r.failed]
    assert not failed, "reference loses points: " + _summary(failed)


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.stem}",
                                               marks=pytest.mark.xdist_group(p.stem)) for p in SPECS])
def test_reference_figures_have_titles_labels_legends(path):
    """Every figure the notebook draws (audited in the kernel after each cell: tests/notebooks/figure_audit.py)."""
    s = session(path)
    assert s.figures, "the audit saw no figure: every notebook draws some"
    source = nbformat.read(path, as_version=4).cells
    problems = [f"cell {f['cell']} ({source[f['cell']].source.splitlines()[0][:50]!r}), figure "
                f"{f['title']!r}: {p}" for f in s.figures for p in f["problems"]]
    assert not problems, f"{len(problems)} figure problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("path,cell_id,code,tests,replay", list(_cases("wrong")))
def test_wrong_answer_loses_points(path, cell_id, code, tests, replay):
    results = session(path).try_answer(cell_id, code, tests, replay)
    assert results, f"no test cell grades {cell_id}"
    lost = sum(r.max_points - r.points for r in results)
    assert lost > 0, f"wrong answer for {cell_id} kept full marks: " + _summary(results)


@pytest.mark.parametrize("path,cell_id,code,tests,replay", list(_cases("right")))
def test_right_answer_keeps_full_marks(path, cell_id, code, tests, replay):
    results = session(path).try_answer(cell_id, code, tests, replay)
    assert results, f"no test cell grades {cell_id}"
    failed = [r for r in results if r.failed]
    assert not failed, f"correct alternative for {cell_id} lost points: " + _summary(failed)


@pytest.mark.parametrize("path,cell_id,code,tests,replay", list(_cases("wrong")))
def test_one_mistake_one_penalty(path, cell_id, code, tests, replay):
    """A wrong answer loses points only in its own test cells: re-running every later cell that
    depends on it (as a real run of the notebook does), every other test keeps full marks --
    tests that need an earlier answer use the reference one.  End-to-end checks (first line
    `# End-to-end`, at most 1 point) are excepted."""
    s = session(path)
    own = set(tests or s.tests_for(cell_id))
    results = s.try_answer_everywhere(cell_id, code)
    leaked = [r for r in results if r.failed and r.grade_id not in own and not s.is_end_to_end(r.grade_id)]
    assert not leaked, f"a wrong {cell_id} also costs points elsewhere: " + _summary(leaked)


@pytest.mark.parametrize("path,cell_id,code,tests,replay",
                         [c for c in _cases("right") if not c.values[3]])  # (entries scoped to some tests are not answers)
def test_right_answer_runs_through_the_notebook(path, cell_id, code, tests, replay):
    """A correct answer written differently (a NumPy array where a tensor would do, another
    dtype, ...) keeps full marks in every later test cell, and every later cell that uses it --
    plots and printouts included -- runs without an error, as Run All would."""
    s = session(path)
    results = s.try_answer_everywhere(cell_id, code, every_cell=True)
    failed = [r for r in results if r.failed]
    assert not failed, f"correct alternative for {cell_id} breaks a later cell: " + _summary(failed)


UNGRADED_PREFIX = "grid_"


def ungraded_solution_cells(nb) -> set[str]:
    """Solution code cells that no test cell grades: no test cell follows before the next
    solution code cell (the rule NotebookSession.tests_for uses to find a cell's tests)."""
    code = [c.metadata["nbgrader"] for c in nb.cells if c.cell_type == "code" and "nbgrader" in c.metadata]
    out = set()
    for i, meta in enumerate(code):
        if not meta.get("solution"):
            continue
        graded = False
        for later in code[i + 1:]:
            if later.get("solution"):
                break
            if later.get("grade"):
                graded = True
                break
        if not graded:
            out.add(meta["grade_id"])
    return out


@pytest.mark.parametrize("path", list(SPECS), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_graded_cell_has_mutants(path):
    """Every graded solution cell has mutants.  Exempt: ungraded answer cells (a student's
    comparison grid, say), which must both be named grid_* and have no test cell after them
    before the next solution cell -- so a graded cell that lost its tests still fails here."""
    nb = nbformat.read(path, as_version=4)
    spec = SPECS[path]
    ungraded = ungraded_solution_cells(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            gid = meta["grade_id"]
            if gid in ungraded:
                assert gid.startswith(UNGRADED_PREFIX), (
                    f"{gid}: no test cell grades it; name an ungraded answer cell {UNGRADED_PREFIX}*, "
                    "or give it tests")
                assert gid not in spec, f"{gid}: mutants for a cell that no test grades"
                continue
            assert gid in spec, f"{gid}: no mutants in dlcourse/authoring/mistakes"
            assert len(spec[gid].get("wrong", {})) >= 3, f"{gid}: fewer than 3 wrong answers"
            assert len(spec[gid].get("right", {})) >= 1, f"{gid}: no correct alternative"
    unknown = set(spec) - {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    assert not unknown, f"mutants for cells that do not exist: {sorted(unknown)}"
