"""The nbgrader preprocessors this course adds (configured in nbgrader_config.py).

StderrIsNotFailure (autograde, after Execute)
    nbgrader scores a test cell 0 if it wrote anything to stderr.  Deep-learning
    code warns all the time (PyTorch, scikit-learn, tqdm bars), so a correct
    answer could lose its points to a harmless warning.  This turns stderr
    output of test cells into ordinary stdout output (prefixed so it stays
    visible).  Real failures still score 0: an exception, a failed assertion, a
    timeout or a dead kernel each leave an "error" output, which is untouched.

DropEmptyMetadata (autograde sanitizing, after DeduplicateIds)
    When a student duplicates a cell, nbgrader's DeduplicateIds empties the
    copy's nbgrader metadata ({}), which then crashes OverwriteCells'
    add_missing_cells (KeyError 'grade_id') and the hand-in is not graded at
    all.  Removing the empty metadata makes the copy an ordinary cell.

HideHiddenTests (generate_feedback)
    nbgrader's feedback HTML is rendered from the autograded notebook, in which
    the hidden tests were restored -- so by default students would read their
    source, and the traceback of a failing hidden assert would show it again.
    This replaces each hidden region with a one-line note and reduces every
    error in a test cell to its exception name and message (our test helpers
    put the student's hint there).  Instructors keep the full detail in
    autograded/.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)
NOTE = "# (hidden tests: their source is not shown; see the message below if one failed)"
STDERR_PREFIX = "[stderr] "


def is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def stderr_to_stdout(outputs: list) -> list:
    """Outputs with every stderr stream relabelled as stdout (text prefixed)."""
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            out["name"] = "stdout"
            out["text"] = "".join(STDERR_PREFIX + line for line in out["text"].splitlines(True))
    return outputs


def hide_source(source: str) -> str:
    return HIDDEN.sub(NOTE, source)


class StderrIsNotFailure(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            stderr_to_stdout(cell.get("outputs", []))
        return cell, resources


class DropEmptyMetadata(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources


class HideHiddenTests(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            hidden = bool(HIDDEN.search(cell.source))
            cell.source = hide_source(cell.source)
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
                    if hidden and "Hint" not in out.get("evalue", ""):
                        out["traceback"].append("(raised inside a hidden test)")
        return cell, resources
