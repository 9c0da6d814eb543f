"""Sandboxed Jupyter kernels for grading: student code sees only its own folder, and is capped.

A jupyter_client kernel provisioner (`SandboxProvisioner`, entry point "course-sandbox"), selected
by the course's nbgrader_config.py (`enable(c)`: nbgrader's kernels use the kernel spec
"course-sandbox") and configured there (`c.SandboxProvisioner.*`).  Each grading kernel runs

- inside bubblewrap (bwrap.py): read-write only its own folder and a private /tmp, read-only the
  Python environment, the system, utils/ and datasets/; nothing else of the course (not source/,
  the gradebook, other hand-ins, $HOME); no network, own PID namespace, no capabilities;
- with caps: memory (RLIMIT_AS per process), and for the whole process tree tasks (processes and
  threads), CPU and memory through a cgroup where the machine offers one (cgroups.py; a one-line
  warning where not); disk: its folder and /tmp are size-capped tmpfs, the folder a copy of the
  real one whose results come back when the kernel ends (workspace.py, prelude.py);
- and when it ends, every process it started ends too (PID namespace, cgroup).

Modules: enable (selection), provisioner (the provisioner), bwrap (the sandbox's view), prelude
(runs inside, before the kernel), workspace (the disk cap), cgroups (tasks/CPU/memory caps),
check (an up-front check that starts a kernel exactly as grading does).
"""
from dlcourse.grading.sandbox.bwrap import probe
from dlcourse.grading.sandbox.enable import ENV_ALLOW, KERNEL_NAME, enable, enabled
from dlcourse.grading.sandbox.check import caps_note, probe_kernel
from dlcourse.grading.sandbox.provisioner import SandboxProvisioner, SandboxUnavailable

__all__ = ["ENV_ALLOW", "KERNEL_NAME", "SandboxProvisioner", "SandboxUnavailable", "caps_note", "enable",
           "enabled", "probe", "probe_kernel"]
