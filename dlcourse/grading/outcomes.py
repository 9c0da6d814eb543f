"""What nbgrader's log says about hand-ins it could not grade, or graded with a problem."""
from __future__ import annotations

from pathlib import Path

REASONS = [  # (text in nbgrader's traceback, what the instructor is told)
    ("NotJSONError", "the notebook file is not valid JSON (corrupt or truncated)"),
    ("NBFormatError", "the file is not a valid notebook"),
    ("No notebooks found", "no notebook with the assignment's file name (renamed or missing)"),
    ("DeadKernelError", "the kernel died while running the notebook (os._exit, a crash, or out of memory)"),
    ("CellTimeoutError", "a cell ran past the time limit"),
    ("SandboxUnavailable", "no sandbox could start (install bubblewrap; COURSE_ALLOW_UNSANDBOXED=1 "
                           "grades trusted code without one)"),
]


def failures_from_log(log: str) -> dict[str, str]:
    """{student: reason} for every hand-in nbgrader could not grade, read from its log."""
    failed: dict[str, str] = {}
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if "There was an error processing assignment:" not in line:
            continue
        folder = Path(line.split("assignment:", 1)[1].strip())
        student = folder.parent.name
        block = []
        for nxt in lines[i + 1:]:
            if nxt.startswith("[") and "Traceback" not in nxt:
                break
            block.append(nxt.strip())
        text = "\n".join(block)
        last = next((b for b in reversed(block) if b), "unknown error")
        reason = next((r for key, r in REASONS if key in text), last)
        failed[student] = f"{reason} [{last[:160]}]" if reason != last else reason
    return failed



def notes_from_log(log: str) -> dict[str, list[str]]:
    """{student: [problem, ...]} for hand-ins nbgrader graded but with a notebook missing
    (scored 0) or under a name the assignment does not have (ignored), read from its log."""
    notes: dict[str, list[str]] = {}
    for line in log.splitlines():
        for key, what in (("No submitted file:", "{} is missing (scored 0)"),
                          ("Skipping unknown notebook:", "{} is not part of the assignment (renamed?), ignored")):
            if key in line:
                path = Path(line.split(key, 1)[1].strip())
                notes.setdefault(path.parent.parent.name, []).append(what.format(path.name))
    return notes


