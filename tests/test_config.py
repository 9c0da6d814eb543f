"""The course's configuration, read once through traitlets (dlcourse/config.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

from dlcourse import config

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_come_from_the_course_configuration(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    cfg = config.load(tmp_path)
    assert cfg.course_id == "dl-ground-up"
    assert cfg.db_url == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"  # the copy's own gradebook
    assert config.load(tmp_path) is cfg  # read once
    assert cfg.section("SandboxProvisioner").get("memory_limit") == 6 * 2 ** 30
    with open(tmp_path / "nbgrader_config.py", "a") as f:
        f.write('\nc.CourseDirectory.db_url = "postgresql://grader@dbhost/gradebook"\n')
    assert config.load(tmp_path).db_url == "postgresql://grader@dbhost/gradebook"  # the file changed: read again


def test_nbgraders_default_gradebook_when_none_is_configured(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'x'\n")
    cfg = config.load(tmp_path)
    assert cfg.db_url == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}" and cfg.course_id == "x"
    copy = cfg.copy()
    copy.CourseDirectory.course_id = "y"
    assert cfg.course_id == "x"  # a copy to change, the shared one untouched
