"""Deadlines and late work, configured in nbgrader_config.py (read through dlcourse.config).

    c.Term.timezone = "Europe/Zurich"                 # upload times and due dates without a zone
    c.Term.due_dates = {"ps1": "2027-01-18 23:59", ...}
    c.AssignLatePenalties.plugin_class = PercentPerStartedDay
    c.PercentPerStartedDay.percent_per_day = 10       # of the score, per started day late
    c.PercentPerStartedDay.max_percent = 50           # the cap
    c.PercentPerStartedDay.grace_minutes = 15         # late by less than this: no penalty

The due dates live only there; `sync_due_dates` writes them into the gradebook (nbgrader keeps
an assignment's due date there and computes lateness from it and each hand-in's
timestamp.txt).  nbgrader's AssignLatePenalties calls the plugin while autograding, with the
automatic score; the grade export applies the same policy to the final score (automatic +
manual + extra credit).
"""
from __future__ import annotations

import math
from pathlib import Path

from nbgrader.plugins.latesubmission import LateSubmissionPlugin
from traitlets import Dict, Float, Unicode
from traitlets.config import Configurable

from dlcourse import config


class Term(Configurable):
    """The term's calendar: due dates per assignment and the time zone they are in."""

    due_dates = Dict(value_trait=Unicode(), key_trait=Unicode(),
                     help="{assignment: due date, 'YYYY-MM-DD HH:MM[:SS] [zone]'}").tag(config=True)
    timezone = Unicode("UTC", help="IANA time zone of upload times and of due dates given without one").tag(config=True)

    def due_date(self, ps: str) -> str | None:
        """The due date of an assignment in nbgrader's form (with its zone), or None."""
        due = self.due_dates.get(ps)
        if not due:
            return None
        return due if len(due.split()) == 3 else f"{due} {self.timezone}"


class PercentPerStartedDay(LateSubmissionPlugin):
    """A percentage of the score per started day late, after a grace period, up to a cap."""

    percent_per_day = Float(10.0, help="penalty per started day late, in % of the score").tag(config=True)
    max_percent = Float(100.0, help="the penalty never exceeds this % of the score").tag(config=True)
    grace_minutes = Float(0.0, help="hand-ins at most this late get no penalty (days still count "
                                    "from the due date)").tag(config=True)

    def fraction(self, total_seconds_late: float) -> float:
        """The share of the score taken for a hand-in this late."""
        if total_seconds_late <= 60 * self.grace_minutes:
            return 0.0
        return min(math.ceil(total_seconds_late / 86400) * self.percent_per_day, self.max_percent) / 100

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        penalty = score * self.fraction(total_seconds_late)
        self.log.info("late by %.0f s: penalty %.2f of %.2f (%s)", total_seconds_late, penalty, score, student_id)
        return penalty


def term(course: Path) -> Term:
    return Term(config=config.load(course).traitlets)


def late_policy(course: Path) -> LateSubmissionPlugin:
    """The configured late-submission plugin (nbgrader's default, no penalty, if none is)."""
    from nbgrader.preprocessors import AssignLatePenalties

    cfg = config.load(course).traitlets
    return AssignLatePenalties(config=cfg).plugin_class(config=cfg)


def sync_due_dates(course: Path, names: list[str], db_url: str | None = None) -> dict[str, str]:
    """Write the configured due dates of these assignments into the gradebook (db_url, default the
    course's); {ps: due date}.  Without due dates the gradebook is not opened (nor created)."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    t = term(course)
    due = {ps: t.due_date(ps) for ps in names if t.due_date(ps)}
    if not due:
        return {}
    cfg = config.load(course)
    with Gradebook(db_url or cfg.db_url, cfg.course_id) as gb:
        for ps, when in due.items():
            gb.update_or_create_assignment(ps, duedate=parse_utc(when))
    return due
