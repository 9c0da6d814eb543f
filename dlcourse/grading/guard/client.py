"""The grader's side of the guard: install it in a kernel, call it around test cells.

Used by GuardedExecute (preprocessors/execute.py); what runs in the kernel is described in
__init__.py.
"""
from __future__ import annotations

import ast
import hashlib
import secrets

from dlcourse.grading.guard import kernel_sources

SOURCES = kernel_sources()


class GuardClient:
    """Talks to the guard of the kernel that `executor` (an nbclient NotebookClient) runs."""

    def __init__(self, executor):
        self.executor = executor
        self.secret = self.key = ""

    def evaluate(self, expression: str):
        """(value, "") of a Python expression evaluated in the kernel, or (None, why not)."""
        ex = self.executor
        msg_id = ex.kc.execute("", silent=True, store_history=False, allow_stdin=False,
                               stop_on_error=False, user_expressions={"v": expression})
        reply = ex.wait_for_reply(msg_id)
        if reply is None:
            return None, "no reply from the kernel"
        content = reply["content"]
        if content.get("status") != "ok":
            return None, f"{content.get('ename')}: {content.get('evalue')}"
        res = content.get("user_expressions", {}).get("v", {})
        if res.get("status") != "ok":
            return None, f"{res.get('ename')}: {res.get('evalue')}"
        try:
            return ast.literal_eval(res["data"]["text/plain"]), ""
        except (KeyError, ValueError, SyntaxError):
            return None, "an answer that is not the guard's"

    def proof(self, nonce: str) -> str:
        return hashlib.sha256((self.secret + nonce).encode()).hexdigest()

    def install(self, names: list[str], imports: dict[str, str], preload: list[str]) -> None:
        """Send the guard to a fresh kernel (before any student code) and install it.
        RuntimeError when it could not be installed."""
        self.secret, self.key = secrets.token_hex(16), f"__course_guard_{secrets.token_hex(4)}__"
        # The guard's own builtins are a private copy of the (still pristine) ones.
        value, why = self.evaluate(
            f"(lambda g: [exec(compile(s, f, 'exec'), g) for f, s in {SOURCES!r}] and g['install']("
            f"{self.secret!r}, {self.key!r}, {names!r}, {imports!r}, {preload!r}))"
            "({'__builtins__': dict(vars(__builtins__)), '__name__': '__course_guard__'})")
        if value != self.proof("installed"):
            raise RuntimeError(f"the grading guard could not be installed in the kernel: {why or value}")

    def check(self, phase: str) -> str:
        """'' if the guard ran ("before"/"after" a test) and found nothing changed, else what went wrong."""
        nonce = secrets.token_hex(8)
        value, why = self.evaluate(f"{self.key}({nonce!r}, {phase!r})")
        if value is None:
            return f"the grading guard did not answer ({why})"
        proof, _, changed = str(value).partition("|")
        if proof != self.proof(nonce):
            return "the grading guard was replaced"
        if changed.startswith("!"):
            return f"the grading guard failed ({changed[1:]})"
        return f"changed while this test ran: {changed.replace(',', ', ')}" if changed else ""
