"""RestoreLockedCells (autograde sanitizing, after OverwriteCells).

OverwriteCells puts back the source of an edited locked cell, and add_missing_cells re-adds
deleted grade (test) cells -- but not a deleted locked cell that is not graded, such as the
provided import cell or a helper the tests call.  This re-adds every missing locked cell
from the gradebook, after the cell that precedes it in the source notebook.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class RestoreLockedCells(Preprocessor):
    """Re-add the locked cells a hand-in deleted (OverwriteCells restores only edited ones)."""
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        from nbformat.v4 import new_code_cell, new_markdown_cell
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"]).source_cells
            # the gradebook's list follows the source notebook's order
            cells = [(c.name, c.cell_type, c.source, c.checksum, c.locked) for c in source]
        for n, (name, cell_type, text, checksum, locked) in enumerate(cells):
            present = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
            if not locked or name in present:
                continue
            before = [present[p] for p, *_ in reversed(cells[:n]) if p in present]
            at = before[0] + 1 if before else 0
            make = new_code_cell if cell_type == "code" else new_markdown_cell
            cell = make(text, metadata={"deletable": False, "editable": False, "nbgrader": {
                "cell_type": cell_type, "checksum": checksum, "grade": False, "grade_id": name,
                "locked": True, "schema_version": 3, "solution": False, "task": False}})
            nb.cells.insert(at, cell)
            self.log.warning("Missing locked cell %s encountered, adding it back to the notebook", name)
        return nb, resources
