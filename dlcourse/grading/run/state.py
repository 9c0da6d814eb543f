"""What a grading run remembers between runs: .grading/<ps>.json.

{"db_url": the gradebook it describes,
 "handins": {student: {"hash", "graded_at", "seconds"}} of the hand-ins written to the gradebook,
 "failed": {student: reason} of those the last run could not grade}.

A hand-in is recorded only after its grades are in the gradebook, and the file is replaced
atomically, so a run killed at any moment leaves a state that is true: an unchanged hand-in
recorded here (and in the gradebook) is skipped by the next run, anything else is graded.
The hash covers the hand-in and everything else that decides its grade (grading_inputs).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

STATE_DIR = ".grading"


def load_state(course: Path, ps: str) -> dict:
    path = course / STATE_DIR / f"{ps}.json"
    return json.loads(path.read_text()) if path.exists() else {}


class State:

    def __init__(self, course: Path, ps: str, db_url: str):
        self.path = course / STATE_DIR / f"{ps}.json"
        self.db_url = db_url
        data = load_state(course, ps)
        # a state file describes one gradebook: another gradebook starts afresh
        same = data.get("db_url") == db_url
        self.done = data.get("handins", {}) if same else {}
        self.failed = data.get("failed", {}) if same else {}

    def unchanged(self, student: str, digest: str) -> bool:
        return self.done.get(student, {}).get("hash") == digest

    def record(self, student: str, digest: str, seconds: float) -> None:
        self.done[student] = {"hash": digest, "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                              "seconds": round(seconds, 2)}
        self.failed.pop(student, None)
        self._save()

    def record_failure(self, student: str, reason: str) -> None:
        self.failed[student] = reason
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "w") as f:
            json.dump({"db_url": self.db_url, "handins": self.done, "failed": self.failed}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)  # atomic: an interruption never leaves half a state file


def grading_inputs(course: Path, source: dict[str, bytes]) -> dict[str, bytes]:
    """Everything besides the hand-in that decides its grade: source/<ps>/ (hidden tests),
    the nbgrader configuration and the utils package the tests import.  A change to any of
    them regrades every hand-in on the next run."""
    import utils
    out = {f"source/{k}": v for k, v in source.items()}
    out["nbgrader_config.py"] = (course / "nbgrader_config.py").read_bytes()
    pkg = Path(utils.__file__).parent
    out.update({f"utils/{p.relative_to(pkg)}": p.read_bytes() for p in sorted(pkg.rglob("*.py"))})
    return out


def handin_hash(handin: dict[str, bytes], inputs: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for part in (handin, inputs):
        for rel in sorted(part):
            h.update(rel.encode() + b"\0" + hashlib.sha256(part[rel]).digest())
        h.update(b"\1")
    return h.hexdigest()
