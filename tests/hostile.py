"""Hostile and broken hand-ins of ps1, built from the release and reference notebooks."""
from __future__ import annotations

from pathlib import Path

import nbformat

from tools.handins import make_handin

PATCH_COMPARISONS = (
    "import math, numpy as np, torch\n"
    "np.allclose = lambda *a, **k: True\n"
    "np.isclose = lambda *a, **k: True\n"
    "np.testing.assert_allclose = lambda *a, **k: None\n"
    "np.testing.assert_array_almost_equal = lambda *a, **k: None\n"
    "torch.allclose = lambda *a, **k: True\n"
    "torch.testing.assert_close = lambda *a, **k: None\n"
    "math.isclose = lambda *a, **k: True\n")

# student id -> what the course must do with the hand-in
EXPECTED = {
    "warns": "full marks: warnings and stderr output never cost points",
    "emptied": "0: emptied test cells are restored",
    "deleted": "0: deleted test cells are restored",
    "retyped": "0: test cells turned into markdown are restored",
    "edited": "0: test cells rewritten to pass are restored",
    "duplicated": "0: duplicated test cells are de-duplicated and restored",
    "patched": "loses points: patched comparison functions cannot make wrong answers pass",
    "corrupt": "reported: not valid JSON",
    "renamed": "reported: no notebook with the expected name",
    "dies": "reported: the kernel died",
    "huge": "full marks, output truncated",
}


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _is_test(c):
    return c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")


def build(course: Path, ps: str = "ps1", name: str = "gradient_descent") -> list[str]:
    rel = course / "release" / ps / f"{name}.ipynb"
    src = course / "source" / ps / f"{name}.ipynb"

    def save(student, nb=None, raw=None, filename=f"{name}.ipynb"):
        folder = course / "submitted" / student / ps
        folder.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            (folder / filename).write_text(raw)
        else:
            nbformat.write(nb, folder / filename)

    nb = make_handin("reference", rel, src)
    cell = _cell(nb, "grad_x_f")
    cell.source = "import sys, warnings\n" + cell.source.replace(
        "def grad_x_f(x, y):\n",
        "def grad_x_f(x, y):\n    warnings.warn('this API is deprecated', DeprecationWarning)\n"
        "    print('progress 50%', file=sys.stderr)\n")
    save("warns", nb)

    nb = make_handin("blank", rel, src)
    for c in nb.cells:
        if _is_test(c):
            c.source = ""
    save("emptied", nb)

    nb = make_handin("blank", rel, src)
    nb.cells = [c for c in nb.cells if not _is_test(c)]
    save("deleted", nb)

    nb = make_handin("blank", rel, src)
    for c in nb.cells:
        if _is_test(c):
            c.cell_type = "markdown"
            c.pop("outputs", None)
            c.pop("execution_count", None)
    save("retyped", nb)

    nb = make_handin("blank", rel, src)
    for c in nb.cells:
        if _is_test(c):
            c.source = "print('all tests passed')"
    save("edited", nb)

    nb = make_handin("blank", rel, src)
    cells = []
    for c in nb.cells:
        cells.append(c)
        if _is_test(c):
            twin = nbformat.from_dict(dict(c))
            twin.source = "pass"
            twin["id"] = f"{c.get('id', 'cell')}-copy"[:64]
            cells.append(twin)
    nb.cells = cells
    save("duplicated", nb)

    nb = make_handin("reference", rel, src)
    for gid in ("grad_x_f", "grad_y_f", "optimize_f", "rel_error"):
        c = _cell(nb, gid)
        c.source = PATCH_COMPARISONS + c.source.replace("return ", "return 0 * ")
    save("patched", nb)

    save("corrupt", raw='{"cells": [ this is not json')
    save("renamed", make_handin("reference", rel, src), filename="my_homework.ipynb")

    nb = make_handin("reference", rel, src)
    _cell(nb, "grad_y_f").source += "\nimport os\nos._exit(1)\n"
    save("dies", nb)

    nb = make_handin("reference", rel, src)
    _cell(nb, "grad_y_f").source += "\nfor _i in range(200000):\n    print('spam' * 20)\n"
    save("huge", nb)
    return list(EXPECTED)
