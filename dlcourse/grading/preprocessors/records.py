"""What the course's preprocessors record about one notebook for the grading run.

A preprocessor that finds something the instructor should be told (output cut short, code
to review by hand) adds it to the notebook's resources under RESOURCES_KEY; the grading
job's converter (run/job.py) collects each notebook's records when nbgrader writes it.
"""
from __future__ import annotations

RESOURCES_KEY = "dlcourse"


def record(resources: dict, kind: str, items: list[str]) -> None:
    """Add `items` to the notebook's records of `kind` ("truncated", "review")."""
    if items:
        resources.setdefault(RESOURCES_KEY, {}).setdefault(kind, []).extend(items)


def records(resources: dict) -> dict[str, list[str]]:
    """{kind: [item, ...]} recorded for one notebook."""
    return resources.get(RESOURCES_KEY, {})
