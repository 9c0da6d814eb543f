"""The notebook build: MyST text sources (jupytext) -> source/*.ipynb, and back."""
from __future__ import annotations

import nbformat
import pytest

from dlcourse.authoring import build as bn
from dlcourse.cells import is_test_cell

MYST = '''---
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

+++ {"nbgrader": {"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}}

# Title

```{code-cell} ipython3
---
nbgrader:
  grade: false
  grade_id: f
  locked: false
  schema_version: 3
  solution: true
  task: false
---
def f():
    ### BEGIN SOLUTION
    return 1
    ### END SOLUTION
```

```{code-cell} ipython3
---
nbgrader:
  grade: true
  grade_id: test_f
  locked: true
  points: 2
  schema_version: 3
  solution: false
  task: false
---
assert f() == 1
```

+++ {"nbgrader": {"grade": true, "grade_id": "q", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}}

model answer

```{code-cell} ipython3
y = 2
```
'''


def test_myst_source_gives_every_kind_of_cell():
    nb = bn.from_text(MYST)
    got = [(c.cell_type, c.id, c.metadata.get("nbgrader", {}).get("points"), c.metadata.get("tags"))
           for c in nb.cells]
    assert got == [("markdown", "intro", None, None), ("code", "f", None, None),
                   ("code", "test_f", 2, ["raises-exception"]), ("markdown", "q", 3, None),
                   ("code", "cell-004", None, None)]
    assert nb.metadata["kernelspec"]["name"] == "python3" and "jupytext" not in nb.metadata


def test_ids_come_from_grade_ids_whatever_an_editor_did():
    """JupyterLab gives cells random ids; converting back keeps the grade_id ones."""
    nb = bn.from_text(MYST)
    for n, cell in enumerate(nb.cells):
        cell["id"] = f"random{n}x"
        cell.outputs = [] if cell.cell_type == "code" else cell.get("outputs")
    assert bn.render(bn.from_text(bn.to_text(nb))) == bn.render(bn.from_text(MYST))


@pytest.mark.parametrize("text,error", [
    (MYST.replace("grade_id: test_f", "grade_id: f"), "used twice"),
    (MYST.replace("  grade_id: test_f\n", ""), "without a grade_id"),
])
def test_format_errors_are_clear(text, error):
    with pytest.raises(bn.NotebookSyntaxError, match=error):
        bn.from_text(text)


def test_source_notebooks_are_built_from_their_text():
    stale = bn.build(check=True)
    assert not stale, f"out of date, run `make notebooks`: {stale}"


def test_text_sources_round_trip_exactly():
    """Each text source is what jupytext writes for its notebook: source -> MyST -> source
    loses nothing, so edits made in JupyterLab convert back (`dlcourse notebooks --from-source`)."""
    assert not bn.not_canonical(), "run `dlcourse notebooks --from-source` after `make notebooks`"
    for md, ipynb in bn.targets():
        nb = nbformat.read(ipynb, as_version=4)
        assert bn.render(bn.from_text(bn.to_text(nb))) == ipynb.read_text(encoding="utf-8"), ipynb


def test_run_all_goes_on_past_tests_and_unwritten_answers():
    """Tagged: every test cell, and every answer cell whose stub raises where it stands
    (`tuning = ...` values, not functions, whose BEGIN SOLUTION is at the top level)."""
    top_level_stubs = 0
    for _, ipynb in bn.targets():
        for cell in nbformat.read(ipynb, as_version=4).cells:
            tagged = bn.RUN_ALL_GOES_ON in cell.metadata.get("tags", [])
            expected = is_test_cell(cell) or bn.stub_raises_at_top_level(cell)
            assert tagged >= expected, f"{ipynb.name}:{cell.id}"
            if tagged and not expected:   # a provided cell: it must use an answer
                assert cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("solution"), cell.id
            top_level_stubs += bn.stub_raises_at_top_level(cell)
    assert top_level_stubs >= 2   # ps1's tuning and best_rates at least
    nb = bn.from_text(MYST.replace("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                                   "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    assert nb.cells[1].metadata["tags"] == ["raises-exception"] and "tags" not in bn.from_text(MYST).cells[1].metadata


def test_provided_cells_using_answers_let_run_all_go_on():
    """A provided cell that calls the student's function (directly, or through a provided cell that
    did) is tagged; one that does not is not."""
    def code(src, **meta):
        import nbformat
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["nbgrader"] = {"grade": False, "grade_id": meta.get("gid", "x"), "locked": True,
                                     "schema_version": 3, "solution": meta.get("solution", False), "task": False}
        return cell
    cells = [code("import numpy as np"), code("def f(x):\n    raise NotImplementedError()", solution=True),
             code("y = f(2)"), code("z = y + 1"), code("w = np.ones(3)"), code("def g():\n    return f(1)")]
    assert bn.cells_using_answers(cells) == {2, 3, 5}


def test_source_notebooks_have_no_outputs():
    for _, ipynb in bn.targets():
        nb = nbformat.read(ipynb, as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), ipynb
