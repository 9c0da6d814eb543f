"""StderrIsNotFailure (autograde, after Execute).

nbgrader scores a test cell 0 if it wrote anything to stderr.  Deep-learning code warns all
the time (PyTorch, scikit-learn, tqdm bars), so a correct answer could lose its points to a
harmless warning.  This turns stderr output of test cells into ordinary stdout output
(prefixed so it stays visible).  Real failures still score 0: an exception, a failed
assertion, a timeout or a dead kernel each leave an "error" output, which is untouched.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from dlcourse.cells import is_test_cell

STDERR_PREFIX = "[stderr] "


def stderr_to_stdout(outputs: list) -> list:
    """Outputs with every stderr stream relabelled as stdout (text prefixed)."""
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            out["name"] = "stdout"
            out["text"] = "".join(STDERR_PREFIX + line for line in out["text"].splitlines(True))
    return outputs


class StderrIsNotFailure(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            stderr_to_stdout(cell.get("outputs", []))
        return cell, resources
