"""Unit tests of utils/ (test helpers, plotting, progress) and of the notebook builder."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tools import build_notebooks as bn
from utils import LossFunctionWithPlot, contour_with_path, learning_curve, progress
from utils import testing as T


def test_assert_close_accepts_rounding_and_rejects_errors():
    a = np.linspace(-3, 3, 7)
    T.assert_close(a * (1 + 1e-9), a)
    with pytest.raises(T.TestFailure, match="index"):
        T.assert_close(a + np.eye(7)[3], a)
    with pytest.raises(T.TestFailure, match="shape"):
        T.assert_close(a[:, None], a)
    with pytest.raises(T.TestFailure, match="NaN"):
        T.assert_close(np.full(3, np.nan), np.zeros(3))
    T.assert_close(torch.tensor([1.0, 2.0]), [1.0, 2.0])


def test_helpers_survive_monkeypatched_libraries(monkeypatch):
    """Student code replacing comparison functions cannot make a wrong answer pass."""
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "abs", lambda x: x * 0)
    monkeypatch.setattr(np, "max", lambda x, *a, **k: 0.0)
    monkeypatch.setattr(math, "isclose", lambda *a, **k: True)
    with pytest.raises(T.TestFailure):
        T.assert_close([1.0, 2.0], [1.0, 3.0])
    with pytest.raises(T.TestFailure):
        T.assert_scalar_close(1.0, 2.0)


def test_scalar_close_needs_one_number():
    T.assert_scalar_close(np.array([2.0]), 2.0)
    with pytest.raises(T.TestFailure, match="single number"):
        T.assert_scalar_close(np.array([2.0, 2.0]), 2.0)


def test_to_numpy_rejects_non_numbers():
    with pytest.raises(T.TestFailure, match="numeric"):
        T.assert_close("abc", 1.0)


def test_std_and_mean_checks_are_calibrated():
    rng = np.random.default_rng(0)
    for n in (50, 5000):
        for _ in range(20):  # correct samples always pass
            T.assert_std_close(rng.normal(0, 0.3, n), 0.3)
            T.assert_mean_close(rng.normal(0, 0.3, n), 0.0, 0.3)
    with pytest.raises(T.TestFailure, match="standard deviation"):
        T.assert_std_close(rng.normal(0, 0.3 ** 2, 5000), 0.3)  # variance used as std
    with pytest.raises(T.TestFailure, match="standard deviation"):
        T.assert_std_close(rng.normal(0, 0.3 * 1.1, 20000), 0.3)  # 10 % off
    with pytest.raises(T.TestFailure, match="mean"):
        T.assert_mean_close(rng.normal(0.1, 0.3, 5000), 0.0, 0.3)


def test_strict_numerics_raises_on_overflow_not_underflow():
    with T.strict_numerics():
        assert np.exp(np.float64(-1000)) == 0.0
        with pytest.raises(FloatingPointError):
            np.exp(np.array([1000.0]))
        with pytest.raises(RuntimeWarning):
            import warnings
            warnings.warn("x", RuntimeWarning)


def test_numeric_grad():
    x = np.array([0.5, -1.0, 2.0])
    g = T.numeric_grad(lambda v: float(np.sum(v ** 3)), x)
    T.assert_close(g, 3 * x ** 2, rtol=1e-6)
    assert np.array_equal(x, [0.5, -1.0, 2.0])


def test_check_and_passed(capsys):
    T.check(True, "never shown")
    with pytest.raises(T.TestFailure, match="Hint: boom"):
        T.check(False, "Hint: boom")
    T.passed("done")
    out = capsys.readouterr()
    assert "done" in out.out and out.err == ""


def test_loss_function_records_and_plots():
    L = LossFunctionWithPlot()
    x = L.initial_point()
    assert x.requires_grad and torch.equal(x.detach(), torch.tensor([-8.0, 2.0], dtype=torch.float64))
    loss = L(x)
    assert float(loss.detach()) == pytest.approx(0.5 * (64 + 20 * 4))
    loss.backward()
    T.assert_close(x.grad, [-8.0, 40.0])
    assert len(L.history) == 1 and L.losses == [pytest.approx(72.0)]
    fig = L.plot_history(grads=[x.grad.clone(), x.grad.clone() / 2])
    assert len(fig.axes) >= 3
    L.reset()
    assert L.history == [] and L.losses == []


def test_plot_helpers_draw():
    ax = contour_with_path(lambda X, Y: X ** 2 + Y ** 2, [1, 0.5, 0], [1, 0.2, 0])
    assert ax.get_title() and ax.get_xlabel() == "x"
    ax = learning_curve([3, 2, 1], label="loss")
    assert ax.get_legend() is not None


def test_progress_is_silent_under_autograder(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert list(progress(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_notebook_format_parses_every_kind():
    nb = bn.parse(
        "# Title\n\ntext\n+++\nmore\n\n```python\nx = 1\n```\n\n"
        "```python solution id=f\ndef f():\n    pass\n```\n"
        "```python tests id=t points=2\nassert True\n```\n"
        "```answer id=q points=3\nmodel answer\n```\n"
        "```python editable\ny = 2\n```\n")
    kinds = [(c.cell_type, c.metadata.get("nbgrader", {}).get("grade_id"),
              c.metadata.get("nbgrader", {}).get("points")) for c in nb.cells]
    assert kinds == [("markdown", "md-001", None), ("markdown", "md-002", None), ("code", "code-003", None),
                     ("code", "f", None), ("code", "t", 2), ("markdown", "q", 3), ("code", None, None)]
    assert nb.cells[2].metadata["nbgrader"]["locked"] and not nb.cells[3].metadata["nbgrader"]["locked"]


@pytest.mark.parametrize("text,error", [
    ("```python tests id=t\nx\n```\n", "points"),
    ("```python solution\nx\n```\n", "id=NAME"),
    ("```python solution id=a\nx\n```\n```python solution id=a\nx\n```\n", "used twice"),
    ("```python solution id=a\nx\n", "never closed"),
    ("```rust\nx\n```\n", "python or ```answer"),
])
def test_notebook_format_errors_are_clear(text, error):
    with pytest.raises(bn.NotebookSyntaxError, match=error):
        bn.parse(text)


def test_source_notebooks_are_built_from_their_text():
    stale = bn.build(check=True)
    assert not stale, f"out of date, run `make notebooks`: {stale}"


def test_source_notebooks_have_no_outputs():
    import nbformat
    for path in (bn.SOURCE_DIR).rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


def _module_names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell assigns at top level, names it reads from the notebook's globals)."""
    import symtable
    code = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())
    top = symtable.symtable(code, "<cell>", "exec")
    assigned = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        stack.extend(table.get_children())
        read |= {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    return assigned, read - assigned


def test_test_cells_do_not_read_what_other_test_cells_overwrite():
    """A test cell must not use a global that another test cell reassigns (e.g. `_params`):
    it would grade the wrong object when cells are re-run out of order -- by a student,
    or by the mutation harness, which replays one answer's tests at a time."""
    import nbformat
    from collections import Counter
    problems = []
    for path in sorted(bn.SOURCE_DIR.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        names = [_module_names(c.source) for c in code]
        writers = Counter(n for assigned, _ in names for n in assigned)
        tests = {c.metadata["nbgrader"]["grade_id"]: pair for c, pair in zip(code, names)
                 if c.metadata.get("nbgrader", {}).get("grade")}
        for gid, (_, free) in tests.items():
            for other, (assigned, _) in tests.items():
                # a helper defined once (in a hidden cell, say) is fine; one rebound elsewhere is not
                clash = {n for n in free & assigned if writers[n] > 1} if other != gid else set()
                if clash:
                    problems.append(f"{path.name}: {gid} reads {sorted(clash)}, which {other} reassigns")
    assert not problems, "\n".join(problems)
