"""HideHiddenTests (generate_feedback).

nbgrader's feedback HTML is rendered from the autograded notebook, in which the hidden
tests were restored -- so by default students would read their source, and the traceback
of a failing hidden assert would show it again.  Once a hidden test has run, student code
can also get at its source (In[-1], inspect.stack(), a warning's source line) and print it.
So:
- each hidden region becomes a one-line note;
- a cell with hidden tests shows only its errors, each reduced to `ename: evalue` (our
  test helpers put the student's hint there): no streams, no displays, no traceback;
- every other error in a test cell is reduced to `ename: evalue` too;
- from the first hidden test on, every output of every cell is redacted: a line that
  shares a run of REDACT_CHARS non-blank characters with the code of a hidden test
  (string literals excepted: hints are meant to be read; whatever also appears in visible
  cells excepted) is replaced by a note, and rich outputs (images, HTML) keep only their
  text/plain form, since student code could draw or format anything there.
Instructors keep the full detail in autograded/.
"""
from __future__ import annotations

import io
import re
import tokenize

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from dlcourse.cells import HIDDEN, is_test_cell

NOTE = "# (hidden tests: their source is not shown; see the message below if one failed)"
REDACTED = "[... line removed: it showed hidden test code ...]"
REDACT_CHARS = 12  # a shared run this long (blanks ignored) counts as hidden test code
MAX_MESSAGE = 1000  # characters of an error message shown in feedback
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_BLANKS = re.compile(r"\s+")
_STRING_TOKENS = {tokenize.STRING} | {getattr(tokenize, n) for n in ("FSTRING_MIDDLE",) if hasattr(tokenize, n)}
_STRING_LITERAL = re.compile(r"(?s)[rbfuRBFU]{0,2}('{3}|\"{3}|'|\")(?:\\.|(?!\1).)*?\1")


def hide_source(source: str) -> str:
    return HIDDEN.sub(NOTE, source)


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
