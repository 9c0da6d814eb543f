"""The course's cell conventions, shared by every stage (authoring, grading, hand-in).

- A *test cell* is an nbgrader grade cell that is not a solution cell.
- A *bonus test* is a test cell worth 0 nbgrader points whose first line declares
  its extra credit: ``# Bonus (extra credit): 2 points.`` (see grading/extra_credit.py).
- A test cell *passed* when it ran without an error output (as nbgrader grades it).
- An *end-to-end* test cell (its first line starts with ``# End-to-end``) checks a whole
  pipeline (the network learns), so an earlier answer's mistake may cost it; it is worth at
  most 1 point.  Every other test uses the reference version of earlier answers it needs.
- Hidden tests sit between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.
"""
from __future__ import annotations

import re
import symtable

BONUS = re.compile(r"^\s*#\s*Bonus \(extra credit\):\s*(\d+(?:\.\d+)?)\s*points?\b", re.I)
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)
END_TO_END = re.compile(r"^\s*#\s*End-to-end\b", re.I)
MARKERS = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$\n?", re.M)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def bonus_points(source: str) -> float | None:
    """The extra credit a test cell's first line declares, or None for an ordinary cell."""
    first = source.lstrip("\n").split("\n", 1)[0]
    m = BONUS.match(first)
    return float(m.group(1)) if m else None


def is_bonus_test(cell) -> bool:
    return is_test_cell(cell) and "grade_id" in nbgrader_meta(cell) and bonus_points(cell.source) is not None


def is_end_to_end(cell) -> bool:
    return is_test_cell(cell) and bool(END_TO_END.match(cell.source.lstrip("\n").split("\n", 1)[0]))


def passed(outputs) -> bool:
    """A test cell passes when it ran without an error output (as nbgrader grades it)."""
    return not any(out.get("output_type") == "error" for out in outputs)


def strip_markers(source: str) -> str:
    """The source without nbgrader's BEGIN/END SOLUTION and HIDDEN TESTS marker lines."""
    return MARKERS.sub("", source)


def cell_names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds at top level, names it reads from the notebook's globals -- at top
    level or inside the functions and classes it defines)."""
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
    return assigned, read
