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
    Once a hidden test has run, student code can also get at its source
    (In[-1], inspect.stack(), a warning's source line) and print it.  So:
    - each hidden region becomes a one-line note;
    - a cell with hidden tests shows only its errors, each reduced to
      `ename: evalue` (our test helpers put the student's hint there): no
      streams, no displays, no traceback;
    - every other error in a test cell is reduced to `ename: evalue` too;
    - from the first hidden test on, every output of every cell is redacted:
      a line that shares a run of REDACT_CHARS non-blank characters with the
      code of a hidden test (string literals excepted: hints are meant to be
      read; whatever also appears in visible cells excepted) is replaced by
      a note, and rich outputs (images, HTML) keep only their text/plain form,
      since student code could draw or format anything there.
    Instructors keep the full detail in autograded/.

RestoreLockedCells (autograde sanitizing, after OverwriteCells)
    OverwriteCells puts back the source of an edited locked cell, and
    add_missing_cells re-adds deleted grade (test) cells -- but not a deleted
    locked cell that is not graded, such as the provided import cell or a
    helper the tests call.  This re-adds every missing locked cell from the
    gradebook, after the cell that precedes it in the source notebook.

ReportedLimitOutput (autograde, in place of nbgrader's LimitOutput)
    LimitOutput trims a cell's output to max_lines lines (and tracebacks to
    max_traceback lines) silently.  This one logs each trimmed cell as a
    WARNING, one line per cell (TRUNCATED_LOG; truncations_from_log reads them
    back for a run's summary).

FlagForReview (autograde, after SaveAutoGrades)
    Scans the hand-in (dlcourse/grading/tamper.py): code that rebinds the test helpers,
    touches utils.testing, builtins, sys.modules or the kernel, and what the
    grading guard reported.  Findings go to the log ("SUSPICIOUS ... review by
    hand") and flag the notebook in the gradebook (formgrader shows the flag).
"""
from __future__ import annotations

import io
import os
import re
import tokenize
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import LimitOutput
from traitlets import Bool

from dlcourse.cells import HIDDEN, is_test_cell

NOTE = "# (hidden tests: their source is not shown; see the message below if one failed)"
STDERR_PREFIX = "[stderr] "
REDACTED = "[... line removed: it showed hidden test code ...]"
REDACT_CHARS = 12  # a shared run this long (blanks ignored) counts as hidden test code
MAX_MESSAGE = 1000  # characters of an error message shown in feedback
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_BLANKS = re.compile(r"\s+")
_STRING_TOKENS = {tokenize.STRING} | {getattr(tokenize, n) for n in ("FSTRING_MIDDLE",) if hasattr(tokenize, n)}
_STRING_LITERAL = re.compile(r"(?s)[rbfuRBFU]{0,2}('{3}|\"{3}|'|\")(?:\\.|(?!\1).)*?\1")


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


def _mask_strings(code: str) -> str:
    """`code` with the contents of its string literals replaced by NUL characters."""
    lines = code.splitlines(True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    spans = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in _STRING_TOKENS:
                (r0, c0), (r1, c1) = tok.start, tok.end
                spans.append((starts[r0 - 1] + c0, starts[r1 - 1] + c1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        spans = [m.span() for m in _STRING_LITERAL.finditer(code)]
    chars = list(code)
    for a, b in spans:
        chars[a:b] = "\0" * (b - a)
    return "".join(chars)


def _runs(text: str) -> set[str]:
    flat = _BLANKS.sub("", text)
    return {flat[i:i + REDACT_CHARS] for i in range(len(flat) - REDACT_CHARS + 1)}


class Redactor:
    """Removes, from text, the lines that show code of a notebook's hidden tests."""

    def __init__(self, nb):
        hidden, public = set(), set()
        for cell in nb.cells:
            for block in HIDDEN.findall(cell.source):
                hidden |= {r for r in _runs(_mask_strings(block)) if "\0" not in r}
            public |= _runs(HIDDEN.sub("", cell.source))
        self.secret = hidden - public

    def redact(self, text: str) -> str:
        if not self.secret or not text:
            return text
        lines = ANSI.sub("", text).splitlines(True)
        flat, owner = [], []
        for n, line in enumerate(lines):
            for ch in line:
                if not ch.isspace():
                    flat.append(ch)
                    owner.append(n)
        flat = "".join(flat)
        bad = set()
        for i in range(len(flat) - REDACT_CHARS + 1):
            if flat[i:i + REDACT_CHARS] in self.secret:
                bad.update(owner[i:i + REDACT_CHARS])
        if not bad:
            return text
        out = []
        for n, line in enumerate(lines):
            if n not in bad:
                out.append(line)
            elif n - 1 not in bad:
                out.append(REDACTED + ("\n" if line.endswith("\n") else ""))
        return "".join(out)

    def message(self, text: str) -> str:
        text = self.redact(text or "")
        return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " [...]"


class HideHiddenTests(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        redactor = Redactor(nb)
        first = next((i for i, c in enumerate(nb.cells) if is_test_cell(c) and HIDDEN.search(c.source)),
                     len(nb.cells))
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and (i >= first or is_test_cell(cell)):
                self.hide(cell, redactor, after_hidden=i >= first)
        return nb, resources

    def hide(self, cell, redactor: Redactor, after_hidden: bool) -> None:
        test = is_test_cell(cell)
        hidden = test and bool(HIDDEN.search(cell.source))
        if test:
            cell.source = hide_source(cell.source)
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":  # an exception class's name is student text too
                out["ename"] = redactor.redact(out.get("ename", "Error"))[:100]
                out["evalue"] = redactor.message(out.get("evalue", ""))
                if test:
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out['evalue']}"]
                    if hidden and "Hint" not in out["evalue"]:
                        out["traceback"].append("(raised inside a hidden test)")
                else:
                    out["traceback"] = [redactor.redact("\n".join(out.get("traceback", [])))]
                kept.append(out)
            elif hidden:
                continue  # a hidden test shows only its errors
            elif kind == "stream":
                out["text"] = redactor.redact(out.get("text", ""))
                kept.append(out)
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                if after_hidden:
                    out["data"] = {"text/plain": redactor.redact(data["text/plain"])} if "text/plain" in data else {}
                if out.get("data"):
                    kept.append(out)
        cell["outputs"] = kept


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


TRUNCATED_LOG = "OUTPUT TRUNCATED %s/%s/%s.ipynb: output of cell %s truncated (%s)"
_TRUNCATED = re.compile(r"OUTPUT TRUNCATED (?P<student>[^/\s]+)/(?P<assignment>[^/\s]+)/(?P<notebook>[^:]+\.ipynb): "
                        r"(?P<what>output of cell .*)$")


class ReportedLimitOutput(LimitOutput):
    """nbgrader's LimitOutput (same settings: c.LimitOutput.max_lines, max_traceback), plus one
    WARNING line per truncated cell:
    `OUTPUT TRUNCATED <student>/<ps>/<notebook>.ipynb: output of cell <grade id or #index> truncated
    (<N> lines of output, <max_lines> kept)` (or `... (traceback of <N> lines, <max_traceback> kept)`)."""

    def preprocess(self, nb, resources):
        self._truncated = []
        nb, resources = super().preprocess(nb, resources)
        info = resources.get("nbgrader", {})
        for label, what in self._truncated:
            self.log.warning(TRUNCATED_LOG, info.get("student", "?"), info.get("assignment", "?"),
                             info.get("notebook", "?"), label, what)
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
            self._truncated.append((label, f"{lines} lines of output, {self.max_lines} kept"))
        if [len(o.traceback) for o in cell.outputs if o.output_type == "error"] != tracebacks:
            self._truncated.append((label, f"traceback of {max(tracebacks)} lines, {self.max_traceback} kept"))
        return cell, resources


def truncations_from_log(log: str) -> dict[str, list[str]]:
    """{student: ["<notebook>.ipynb: output of cell X truncated (...)", ...]} from an autograde log."""
    out: dict[str, list[str]] = {}
    for line in log.splitlines():
        m = _TRUNCATED.search(line)
        if m:
            out.setdefault(m["student"], []).append(f"{m['notebook']}: {m['what']}")
    return out


class FlagForReview(Preprocessor):
    """Log and flag (gradebook) hand-ins whose code tries to tamper with grading (dlcourse/grading/tamper.py)."""
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        from dlcourse.grading import tamper

        info = resources["nbgrader"]
        course = self.config.CourseDirectory
        source = (Path(course.get("root", os.getcwd())) / course.get("source_directory", "source")
                  / info["assignment"] / f"{info['notebook']}.ipynb")
        findings = tamper.review_notebook(nb, tamper.provided_sources(source) if source.exists() else None)
        if findings:
            self.log.warning("SUSPICIOUS %s/%s/%s.ipynb, review by hand:\n    %s", info["student"],
                             info["assignment"], info["notebook"], "\n    ".join(findings))
            with Gradebook(info["db_url"]) as gb:
                gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"]).flagged = True
                gb.db.commit()
        return nb, resources


def feedback_copies_handed_in_files_only() -> None:
    """`generate_feedback` copies only the files the student handed in, unchanged.

    nbgrader copies every other file of autograded/<student>/<ps>/ into the
    student's feedback folder; student code ran there while grading, after
    hidden tests were in the kernel, and could have written their source into
    a file.  A file that is not in submitted/<student>/<ps>/ with the same
    bytes is left out (and logged).  Enabled in nbgrader_config.py.
    """
    import shutil

    from nbgrader.converters.generate_feedback import GenerateFeedback
    from nbgrader.utils import find_all_files

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        source = Path(self._format_source(assignment_id, student_id))
        dest = Path(self._format_dest(assignment_id, student_id))
        handed_in = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment_id))
        for filename in find_all_files(str(source), self.coursedir.ignore + ["*.ipynb"]):
            rel = Path(filename).relative_to(source)
            original = handed_in / rel
            if not original.is_file() or original.read_bytes() != Path(filename).read_bytes():
                self.log.info("Not copying %s into feedback: written or changed while grading", rel)
                continue
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(filename, dest / rel)

    GenerateFeedback.init_assignment = init_assignment
