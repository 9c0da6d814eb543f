"""What a class grading run did, and how it tells the instructor."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass
class Outcome:
    ps: str
    handins: int = 0                                        # hand-in folders found
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)        # unchanged, already graded
    failed: dict[str, str] = field(default_factory=dict)    # student -> why not graded
    notes: dict[str, list[str]] = field(default_factory=dict)    # graded, with a problem
    review: dict[str, list[str]] = field(default_factory=dict)   # graded, to look at by hand
    rows: list[dict] = field(default_factory=list)          # the score table's rows (scores.py)
    seconds: float = 0.0
    # where the time went: "setup" (before the first job), "write" (per result), "finish";
    # "jobs": {student: {"seconds", and the job's phases}}
    timings: dict = field(default_factory=lambda: {"setup": 0.0, "write": [], "finish": 0.0, "jobs": {}})

    @property
    def done(self) -> int:
        return len(self.graded) + len(self.failed) + len(self.skipped)

    def as_dict(self) -> dict:
        """grade_class's answer: {"rows", "failed", "notes", "suspicious", "graded", "skipped", "seconds"}."""
        suspicious = {s: self.review[s] for s in self.graded if self.review.get(s)}
        return {"rows": self.rows, "failed": self.failed, "notes": self.notes, "suspicious": suspicious,
                "graded": self.graded, "skipped": self.skipped, "seconds": self.seconds}

    def print_summary(self) -> None:
        ps = self.ps
        print(f"{ps}: graded {len(self.graded)}, skipped {len(self.skipped)}, not graded {len(self.failed)} "
              f"of {self.handins} hand-ins in {self.seconds:.1f}s"
              + (f"; log in logs/autograde_{ps}.log" if self.failed else ""))
        for student, why in sorted(self.failed.items()):
            print(f"    NOT GRADED {student}/{ps}: {why}")
        for student, what in sorted(self.notes.items()):
            print(f"    graded, but {student}/{ps}: {'; '.join(what)}")
        for student, findings in sorted(self.as_dict()["suspicious"].items()):
            print(f"    REVIEW BY HAND {student}/{ps} (flagged in the gradebook): " + "; ".join(findings[:3])
                  + (f" (+{len(findings) - 3} more)" if len(findings) > 3 else ""))

    def print_interrupted(self) -> None:
        print(f"\n{self.ps}: interrupted after grading {len(self.graded)} hand-in(s) in this run; they are kept. "
              "Run the same command again to grade the rest.", file=sys.stderr)
