"""What the instructor is told about a hand-in that could not be graded, or was graded with a
problem -- from structured data: the exception that stopped nbgrader (its type), the file
names handed in, what the preprocessors recorded (never from nbgrader's log text)."""
from __future__ import annotations

REASONS = {  # exception type (or a base of it) -> what the instructor is told
    "NotJSONError": "the notebook file is not valid JSON (corrupt or truncated)",
    "NBFormatError": "the file is not a valid notebook",
    "ValidationError": "the file is not a valid notebook",
    "DeadKernelError": "the kernel died while running the notebook (os._exit, a crash, or out of memory)",
    "CellTimeoutError": "a cell ran past the time limit",
    "SandboxUnavailable": "no sandbox could start (install bubblewrap; COURSE_ALLOW_UNSANDBOXED=1 "
                          "grades trusted code without one)",
}
NO_NOTEBOOK = "no notebook with the assignment's file name (renamed or missing)"
WORKER_DIED = "the grading worker died while grading it"


def reason(exc: BaseException) -> str:
    """One line for the instructor: what kind of failure, and nbgrader's own words."""
    names = [cls.__name__ for cls in type(exc).__mro__]
    said = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
    known = next((REASONS[n] for n in names if n in REASONS), None)
    return f"{known} [{said}]" if known else said


def notebook_notes(expected: set[str], handed_in: set[str]) -> list[str]:
    """Problems nbgrader grades around: a notebook of the assignment not handed in (it scores 0)
    and one handed in under a name the assignment does not have (it is ignored)."""
    return ([f"{name} is missing (scored 0)" for name in sorted(expected - handed_in)]
            + [f"{name} is not part of the assignment (renamed?), ignored" for name in sorted(handed_in - expected)])
