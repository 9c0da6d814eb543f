"""Conventions every course notebook keeps (checked on source/)."""
from __future__ import annotations

from dlcourse.authoring import build as bn
from dlcourse.cells import cell_names, is_end_to_end


def _module_names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell assigns at top level, names it reads from the notebook's globals and does not assign)."""
    assigned, read = cell_names(source)
    return assigned, read - assigned


def test_test_cells_do_not_read_what_other_test_cells_overwrite():
    """A test cell must not use a global that another test cell defines (e.g. `_params`, or a
    helper defined once in an earlier hidden cell): it would grade the wrong object when cells
    are re-run out of order -- by a student, or by the mutation harness, which replays one
    answer's tests at a time -- or fail for the earlier cell's error, not its own."""
    import nbformat
    problems = []
    for path in sorted(bn.SOURCE_DIR.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        names = [_module_names(c.source) for c in code]
        tests = {c.metadata["nbgrader"]["grade_id"]: pair for c, pair in zip(code, names)
                 if c.metadata.get("nbgrader", {}).get("grade")}
        for gid, (_, free) in tests.items():
            for other, (assigned, _) in tests.items():
                clash = free & assigned if other != gid else set()
                if clash:
                    problems.append(f"{path.name}: {gid} reads {sorted(clash)}, which {other} defines")
    assert not problems, "\n".join(problems)


def test_end_to_end_checks_are_worth_at_most_one_point():
    """A test cell that checks the whole pipeline (its first line says `# End-to-end`) may fail
    because of an earlier answer, so it is worth at most 1 point."""
    import nbformat
    heavy = []
    for path in sorted(bn.SOURCE_DIR.rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if is_end_to_end(cell) and meta.get("points", 0) > 1:
                heavy.append(f"{path.name}:{meta['grade_id']} ({meta['points']} points)")
    assert not heavy, "end-to-end checks worth more than 1 point: " + ", ".join(heavy)
