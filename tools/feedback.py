"""Student-facing feedback that never shows hidden tests.

nbgrader's feedback HTML is rendered from the autograded notebook, in which
the hidden tests were restored -- so by default students would read their
source, and the traceback of a failing hidden assert would show it again.
`HideHiddenTests` (enabled in nbgrader_config.py for generate_feedback)
replaces each hidden region with a one-line note and reduces every error in
a test cell to its exception name and message (our test helpers put the
student's hint there).  Instructors keep the full detail in autograded/.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)
NOTE = "# (hidden tests: their source is not shown; see the message below if one failed)"


def hide_source(source: str) -> str:
    return HIDDEN.sub(NOTE, source)


class HideHiddenTests(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            hidden = bool(HIDDEN.search(cell.source))
            cell.source = hide_source(cell.source)
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
                    if hidden and "Hint" not in out.get("evalue", ""):
                        out["traceback"].append("(raised inside a hidden test)")
        return cell, resources
