"""The self-check's findings, for people: as text (the command line) and as a to-do list
(JupyterLab's Hand in panel: one item per thing to fix, each pointing at its cell)."""
from __future__ import annotations

from dlcourse.handin.selfcheck import CheckResult

RUN_ALL = "Kernel > Restart Kernel and Run All Cells"


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def format_check(nb_name: str, r: CheckResult) -> str:
    lines = [f"Self-check of {nb_name} (visible tests only: hidden tests run when your work is graded)"]
    if r.fatal:
        lines.append(f"  The notebook could not be run to the end: {r.fatal}")
        lines.append(f"  Open it in JupyterLab, choose {RUN_ALL}, and fix the first cell that shows an error.")
    if r.changed:
        lines.append("  You edited read-only or test cells: " + ", ".join(r.changed) + ".")
        lines.append("  Grading restores the original cells, so your edits there are ignored. "
                     "Copy your answers into a fresh copy of the notebook if a test cell was broken.")
    if r.broken:
        lines.append("  Answer cells that raise an error when run (fix these first):")
        lines += [f"    - {b}" for b in r.broken]
    if not r.fatal:
        if r.failures:
            lines.append(f"  {len(r.failures)} of {r.tests} visible test cells FAIL:")
            lines += [f"    - {f.cell} ({_points(f.points)}): {f.message}" for f in r.failures]
        else:
            lines.append(f"  All {r.tests} visible test cells pass.")
    if r.not_started:
        lines.append("  Not started yet (still `raise NotImplementedError()`): " + ", ".join(r.not_started) + ".")
    if r.empty_written:
        lines.append("  Written answers still empty: " + ", ".join(r.empty_written) + ".")
    if r.bonus_failures:
        lines.append("  Bonus tests that fail (extra credit only: you can hand in without them):")
        lines += [f"    - {f.cell} (up to {f.points:g} extra): {f.message}" for f in r.bonus_failures]
    if r.optional_open:
        lines.append("  Extra-credit parts not done (optional, skipping them costs nothing): "
                     + ", ".join(r.optional_open) + ".")
    return "\n".join(lines)


def not_run_message(n: int, strict: bool) -> str:
    return (f"{'Not run' if strict else 'Note'}: {n} code cell(s) have never been run in the saved notebook, "
            f"so the PDF would show them without output. In JupyterLab: {RUN_ALL}, then File > Save, "
            "then hand in again.")


def summary(r: CheckResult | None, unexecuted: int) -> str:
    """One line over the to-do list."""
    if r is None:
        return "Handed in without the self-check." if not unexecuted else f"{unexecuted} code cells never run."
    if r.fatal:
        return "The notebook did not run to the end."
    parts = [f"{len(r.failures)} of {r.tests} visible test cells fail" if r.failures
             else f"all {r.tests} visible test cells pass"]
    todo = len(r.not_started) + len(r.empty_written)
    if todo:
        parts.append(f"{todo} answer{'s' if todo != 1 else ''} not written yet")
    if r.broken:
        parts.append(f"{len(r.broken)} answer cell{'s raise' if len(r.broken) != 1 else ' raises'} an error")
    if unexecuted:
        parts.append(f"{unexecuted} code cell{'s' if unexecuted != 1 else ''} never run")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _cell_refs(nb) -> dict[str, dict]:
    """{grade_id: where the cell is} for every nbgrader cell of the saved notebook."""
    refs = {}
    for index, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            refs[gid] = {"id": cell.get("id"), "grade_id": gid, "index": index}
    return refs


def items(r: CheckResult | None, nb, unexecuted: list[int]) -> list[dict]:
    """The to-do list of JupyterLab's Hand in panel (dlcourse/handin/labextension/src/api.ts: IItem)."""
    refs = _cell_refs(nb)

    def item(kind, title, message, gid=None, optional=False, points=None, cell=None):
        return {"kind": kind, "title": title, "message": message, "optional": optional, "points": points,
                "cell": cell if cell is not None else refs.get(gid)}

    out = []
    if r is not None:
        if r.fatal:
            out.append(item("fatal", "The notebook did not run to the end",
                            f"{r.fatal}. Run all cells and fix the first cell that shows an error."))
        out += [item("broken", b.cell, b.message + " (fix this first: later cells use it)", b.cell) for b in r.broken]
        out += [item("failure", f"{f.cell} ({_points(f.points)})", f.message, f.cell, points=f.points)
                for f in r.failures]
        said = " ".join(f.message for f in r.failures)     # "`grad_x_f` is not written yet" says it already
        out += [item("not_started", gid, "Still says `raise NotImplementedError()`: write your code here.", gid)
                for gid in r.not_started if f"`{gid}` is not written yet" not in said]
        out += [item("empty_written", gid, f"Still says {STUB}: write your answer here.", gid)
                for gid in r.empty_written]
        out += [item("changed", gid, "You edited this cell; grading restores the original, so your edits "
                     "there are ignored.", gid) for gid in r.changed]
    if unexecuted:
        first = nb.cells[unexecuted[0]]
        out.append(item("not_run", f"{len(unexecuted)} code cell{'s' if len(unexecuted) != 1 else ''} never run",
                        "The PDF shows the notebook as saved, outputs and all: run all cells (Run > Run All "
                        "Cells), then hand in again.",
                        cell={"id": first.get("id"), "grade_id": None, "index": unexecuted[0]}))
    if r is not None:
        out += [item("bonus_failure", f"{f.cell} (up to {f.points:g} extra)", f.message, f.cell, optional=True,
                     points=f.points) for f in r.bonus_failures]
        out += [item("optional_open", gid, "Extra credit, not done: optional, skipping it costs nothing.", gid,
                     optional=True) for gid in r.optional_open]
    return out


STUB = "YOUR ANSWER HERE"
