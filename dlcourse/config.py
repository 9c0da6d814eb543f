"""The course's nbgrader configuration, read once, through traitlets, as nbgrader reads it.

    from dlcourse import config
    cfg = config.load(course)          # cached per course folder (reloaded when the file changes)
    cfg.course_id                      # c.CourseDirectory.course_id
    cfg.db_url                         # c.CourseDirectory.db_url, else <root>/gradebook.db as nbgrader does
    cfg.section("SandboxedKernelManager").get("memory_limit")

Every default the course's commands use comes from here; nothing parses the file by hand.
Shared by every stage; imports no stage (loading the file runs it, and nbgrader_config.py
itself imports what it configures).
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"


@dataclass(frozen=True)
class CourseConfig:
    """The loaded configuration of the course in `course`.  `traitlets` is shared by every
    caller: read it, or take `copy()` to change it."""
    course: Path
    traitlets: object  # traitlets.config.Config

    def section(self, name: str):
        """One configurable's settings, e.g. section("CourseDirectory") (empty when not set)."""
        return self.traitlets[name] if name in self.traitlets else type(self.traitlets)()

    def copy(self):
        """A private copy of the traitlets Config (to override settings for one run)."""
        return copy.deepcopy(self.traitlets)

    @property
    def root(self) -> Path:
        return Path(self.section("CourseDirectory").get("root") or self.course)

    @property
    def course_id(self) -> str:
        return self.section("CourseDirectory").get("course_id") or "default_course"

    @property
    def db_url(self) -> str:
        """The gradebook: c.CourseDirectory.db_url, or nbgrader's default, <root>/gradebook.db."""
        return self.section("CourseDirectory").get("db_url") or f"sqlite:///{self.root / 'gradebook.db'}"


def load(course: Path) -> CourseConfig:
    """The configuration of the course folder `course` (its nbgrader_config.py)."""
    path = (Path(course) / CONFIG_FILE).resolve()
    return _load(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int) -> CourseConfig:
    from traitlets.config.loader import PyFileConfigLoader

    return CourseConfig(path.parent, PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
