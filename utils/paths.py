"""Where the course's data lives.

The datasets folder is found next to this package (the course checkout), or
wherever $COURSE_DATASETS points, so notebooks find it from release/, from a
student's copied folder, from submitted/ and from autograded/ alike.
"""
from __future__ import annotations

import os
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent


def datasets_dir() -> Path:
    env = os.environ.get("COURSE_DATASETS")
    return Path(env).expanduser().resolve() if env else COURSE_ROOT / "datasets"
