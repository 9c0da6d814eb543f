"""DropEmptyMetadata (autograde sanitizing, after DeduplicateIds).

When a student duplicates a cell, nbgrader's DeduplicateIds empties the copy's nbgrader
metadata ({}), which then crashes OverwriteCells' add_missing_cells (KeyError 'grade_id')
and the hand-in is not graded at all.  Removing the empty metadata makes the copy an
ordinary cell.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class DropEmptyMetadata(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources
