"""Selecting the sandbox: the course's nbgrader_config.py calls `enable(c)`.

nbgrader's kernels (autograde, validate) then run as the kernel spec KERNEL_NAME
(share/kernels/course-sandbox/kernel.json: Python 3 through this package's kernel provisioner,
interrupted by message) instead of the notebook's `python3`.  jupyter_client finds the
provisioner by its entry point (pyproject.toml, `jupyter_client.kernel_provisioners`) and
configures it from the same configuration (`c.SandboxProvisioner.*`).  Nothing else changes:
JupyterLab and other kernels started in the same process keep their own kernel spec.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_ALLOW = "COURSE_ALLOW_UNSANDBOXED"
KERNEL_NAME = "course-sandbox"
PROVISIONER_NAME = "course-sandbox"
SHARE = Path(__file__).resolve().with_name("share")  # holds kernels/course-sandbox/kernel.json


def use_kernel_spec() -> None:
    """Let jupyter_client find the course-sandbox kernel spec (JUPYTER_PATH, searched first)."""
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if str(SHARE) not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(SHARE), *paths])


def enable(c) -> None:
    """Run nbgrader's kernels (autograde and validate) in the sandbox."""
    use_kernel_spec()
    c.Execute.kernel_name = KERNEL_NAME


def enabled(cfg) -> bool:
    """Whether a loaded configuration runs nbgrader's kernels in the sandbox."""
    return cfg.Execute.get("kernel_name") == KERNEL_NAME
