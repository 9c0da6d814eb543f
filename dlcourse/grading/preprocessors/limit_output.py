"""ReportedLimitOutput (autograde, in place of nbgrader's LimitOutput).

LimitOutput trims a cell's output to max_lines lines (and tracebacks to max_traceback
lines) silently.  This one records each trimmed cell for the run's summary (records.py:
"truncated") and logs it as a WARNING, one line per cell, for the instructor's log:
`OUTPUT TRUNCATED <student>/<ps>/<notebook>.ipynb: output of cell <grade id or #index>
truncated (<N> lines of output, <max_lines> kept)` (or `... (traceback of <N> lines,
<max_traceback> kept)`).
"""
from __future__ import annotations

from nbgrader.preprocessors import LimitOutput

from dlcourse.grading.preprocessors.records import record

TRUNCATED_LOG = "OUTPUT TRUNCATED %s/%s/%s.ipynb: %s"


class ReportedLimitOutput(LimitOutput):
    """nbgrader's LimitOutput (same settings: c.LimitOutput.max_lines, max_traceback), recorded."""

    def preprocess(self, nb, resources):
        self._truncated = []
        nb, resources = super().preprocess(nb, resources)
        info = resources.get("nbgrader", {})
        for what in self._truncated:
            self.log.warning(TRUNCATED_LOG, info.get("student", "?"), info.get("assignment", "?"),
                             info.get("notebook", "?"), what)
        record(resources, "truncated", self._truncated)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        streams = [o.text for o in cell.outputs if o.output_type == "stream"]
        tracebacks = [len(o.traceback) for o in cell.outputs if o.output_type == "error"]
        cell, resources = super().preprocess_cell(cell, resources, index)
        label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{index}"
        if [o.text for o in cell.outputs if o.output_type == "stream"] != streams:
            lines = sum(len(t.splitlines()) for t in streams)
            self._truncated.append(f"output of cell {label} truncated ({lines} lines of output, "
                                   f"{self.max_lines} kept)")
        if [len(o.traceback) for o in cell.outputs if o.output_type == "error"] != tracebacks:
            self._truncated.append(f"output of cell {label} truncated (traceback of {max(tracebacks)} lines, "
                                   f"{self.max_traceback} kept)")
        return cell, resources
