"""Wrong and right answers students really write, one module per notebook.

Each module defines

    NOTEBOOK = "source/ps1/gradient_descent.ipynb"
    MUTANTS = {
        "<grade_id of a solution cell>": {
            "wrong": {"<what the student did>": "<code of the whole cell>", ...},  # must lose points
            "right": {"<how it differs>": "<code>", ...},                           # must keep full marks
            # optional: "tests": [test cell ids] (default: the tests after the cell),
            #           "replay": False (do not re-run provided cells in between)
        },
    }

A code value may also be a dict {"code": ..., "tests": [...]} to override the
tests for that one answer.  tests/notebooks/test_mutations.py runs them all; it also
checks every solution cell has at least three wrong and one right answer.
The demo's "typical mistakes" student is built from the first wrong answers.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def modules():
    """All mutant modules, sorted by name."""
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        out.append(importlib.import_module(f"{__name__}.{info.name}"))
    return out


def by_notebook() -> dict[Path, dict]:
    """{source notebook path: MUTANTS}."""
    return {ROOT / m.NOTEBOOK: m.MUTANTS for m in modules()}


def entries(spec: dict, kind: str):
    """(name, code, tests, replay) for the 'wrong' or 'right' answers of one cell."""
    for name, value in spec.get(kind, {}).items():
        if isinstance(value, dict):
            yield name, value["code"], value.get("tests", spec.get("tests")), value.get("replay", spec.get("replay", True))
        else:
            yield name, value, spec.get("tests"), spec.get("replay", True)
