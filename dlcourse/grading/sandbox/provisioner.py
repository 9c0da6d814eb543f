"""SandboxProvisioner: jupyter_client's LocalProvisioner, with the kernel inside bubblewrap and caps.

Each kernel command becomes

    [cgroup or systemd scope: tasks, CPU, memory]  bwrap <bwrap.py's view>  python prelude.py  <kernel>

- the kernel talks to the grader over ZMQ unix sockets in a folder of its own /tmp (capped like
  the rest of it); the grader reaches them through a symlink at the same path to the folder's
  descriptor, which the prelude sends it (a kernel in its own network namespace cannot reach TCP
  on the host's loopback, and no folder of the grader's disk is writable from the sandbox);
- interrupts go as messages over the control channel (the kernel spec says so: signals cannot
  cross the PID namespace); a kernel that ignores them is killed with its sandbox;
- when the kernel ends (shutdown, kill, restart) every process of its sandbox is gone (PID
  namespace; and its cgroup, killed), then the files it wrote come back to the real folder.

Where no sandbox can start (bwrap missing, user namespaces disabled) launching fails with
SandboxUnavailable unless `allow_unsandboxed` (or COURSE_ALLOW_UNSANDBOXED=1): the kernel then
runs without isolation, with a warning; its memory and the cgroup caps still apply.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Float, Integer, List, Unicode

import dlcourse.grading.sandbox.bwrap as B
import dlcourse.grading.sandbox.cgroups as cgroups
from dlcourse.grading.sandbox.enable import ENV_ALLOW
from dlcourse.grading.sandbox.workspace import Workspace

GiB, MiB = 2 ** 30, 2 ** 20
PRELUDE = Path(__file__).with_name("prelude.py").read_text()
_warned: set[str] = set()


class SandboxUnavailable(RuntimeError):
    """No sandbox could start and unsandboxed grading is not allowed."""

    def __init__(self, why: str):
        self.why = why
        super().__init__(
            f"cannot sandbox student code: {why}. Grading stopped. To grade WITHOUT isolation "
            f"(trusted code only) set {ENV_ALLOW}=1 or c.SandboxProvisioner.allow_unsandboxed = True.")


class SandboxProvisioner(LocalProvisioner):
    """Kernels inside bubblewrap, capped in memory, tasks, CPU and disk."""

    bwrap = Unicode("bwrap", help="The bubblewrap executable (name on PATH or path).").tag(config=True)
    memory_limit = Integer(
        6 * GiB, help="Address-space cap of each kernel process in bytes (RLIMIT_AS; the whole process "
        "tree gets this plus its two tmpfs through a cgroup where one is available); 0 = none. "
        "The default lets two graders run side by side on a 24 GB machine.").tag(config=True)
    tasks_limit = Integer(256, help="Processes and threads of a kernel's whole tree (cgroup pids); "
                                    "0 = no cap.").tag(config=True)
    cpu_limit = Float(1.0, help="CPU of a kernel's whole tree, in cores (cgroup cpu quota); 0 = no cap.").tag(config=True)
    disk_limit = Integer(512 * MiB, help="Bytes a kernel can write: its folder and its /tmp are each a tmpfs "
                                         "of this size (sandboxed kernels only); 0 = no cap.").tag(config=True)
    cgroup_parent = Unicode("", help="A cgroup v2 folder delegated to grading, used alone; empty: the first "
                                     "of our own cgroup v2, v1, a systemd scope.").tag(config=True)
    allow_unsandboxed = Bool(
        False, help="Run kernels without a sandbox when none can start (also: "
        f"environment variable {ENV_ALLOW}=1). Only for trusted code.").tag(config=True)
    read_only = List(Unicode(), help="Extra paths the kernel may read (at their real path).").tag(config=True)
    read_write = List(Unicode(), help="Extra paths the kernel may write (not capped).").tag(config=True)

    sandboxed = False
    group: cgroups.KernelGroup | None = None
    _space: Workspace | None = None
    _ipc_dir = ""
    _link = ""
    _work = ""

    # -- starting ----------------------------------------------------------------------------------
    def _unsandboxed_allowed(self) -> bool:
        return self.allow_unsandboxed or os.environ.get(ENV_ALLOW, "") not in ("", "0")

    def _warn_once(self, text: str) -> None:
        if text not in _warned:
            _warned.add(text)
            self.log.warning(text)

    async def pre_launch(self, **kwargs):
        why = B.probe(self.bwrap)
        if why and not self._unsandboxed_allowed():
            raise SandboxUnavailable(why)
        self.sandboxed = not why
        if why:
            self.log.warning("Kernel NOT sandboxed (%s); allowed by configuration.", why)
        km = self.parent
        if not self._ipc_dir:
            # the connection file, read-only for the kernel; its sockets go to `sockets` (below)
            self._ipc_dir = tempfile.mkdtemp(prefix="course-kernel-")
            km.transport, km.cache_ports = "ipc", False
            km.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        km.ip = os.path.join(self._ipc_dir, "s", "k")
        kwargs = await super().pre_launch(**kwargs)
        self._work = B.real(kwargs.get("cwd") or os.getcwd())
        kwargs["cmd"] = self._command(kwargs["cmd"])
        return kwargs

    def _command(self, kernel_cmd: list[str]) -> list[str]:
        conf = {"memory": self.memory_limit, "mpl_seed": B.MPL_SEED}
        sockets = os.path.join(self._ipc_dir, "s")
        if self.sandboxed:
            self._space = Workspace()
            conf.update(fd=self._space.child_fd(), send=(["."] if self.disk_limit else []) + [sockets],
                        copy_from=B.HANDIN_COPY if self.disk_limit else "")
        else:
            os.makedirs(sockets, exist_ok=True)
        cmd = [sys.executable, "-I", "-S", "-c", PRELUDE, json.dumps(conf), *kernel_cmd]
        if self.sandboxed:
            cmd = [*B.sandbox_argv(self.bwrap, self._work, kernel_cmd,
                                   read_only=[*self.read_only, os.path.join(self._ipc_dir, "kernel.json")],
                                   read_write=list(self.read_write), disk_limit=self.disk_limit), "--", *cmd]
        self.group = self._start_group()
        if self.group is not None:
            cmd = [*self.group.prefix, *cmd]
        self.log.debug("Sandboxed kernel command: %s", cmd)
        return cmd

    def _start_group(self) -> cgroups.KernelGroup | None:
        mem = self.memory_limit + 2 * self.disk_limit if self.memory_limit else 0
        limits = cgroups.Limits(tasks=self.tasks_limit, cpu=self.cpu_limit, memory=mem)
        if not limits.any():
            return None
        mechanism, why = cgroups.detect(self.cgroup_parent)
        if mechanism is None:
            self._warn_once(f"Kernels' processes/threads and CPU are NOT capped: {why} (memory: RLIMIT_AS per process only).")
            return None
        try:
            return mechanism.start(cgroups.group_name(), limits)
        except OSError as e:
            self._warn_once(f"Kernel caps ({mechanism.name}) could not be set up ({e}); this kernel runs without them.")
            return None

    async def launch_kernel(self, cmd: list[str], **kwargs):
        if self._space is not None:
            kwargs["pass_fds"] = (self._space.child_fd(),)
        info = await super().launch_kernel(cmd, **kwargs)
        if self._space is not None:
            self._space.launched()
            if await self._space.receive():
                # the grader reaches the kernel's sockets at the path the kernel binds them
                self._link = os.path.join(self._ipc_dir, "s")
                os.symlink(f"/proc/{os.getpid()}/fd/{self._space.fds[-1]}", self._link)
        return info

    # -- ending ------------------------------------------------------------------------------------
    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if self.group is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.group.kill)
        if self._space is not None:
            if self.disk_limit and self._space.fds:
                await self._copy_back()
            self._space.close()
            self._space = None
        if self._link:
            try:
                os.unlink(self._link)
            except FileNotFoundError:
                pass
            self._link = ""
        if self.group is not None:
            self.group.remove()
            self.group = None
        if not restart and self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = ""

    async def _copy_back(self) -> None:
        """The files the kernel wrote in its capped folder, into the real one (a warning if not all)."""
        try:
            left = await asyncio.get_running_loop().run_in_executor(
                None, self._space.copy_back, self._work, self.disk_limit)
        except OSError as e:
            left = [f"copying stopped: {e}"]
        if left:
            self.log.warning("Files of the kernel in %s not copied back: %s", self._work,
                             ", ".join(left[:5]) + (f" (+{len(left) - 5} more)" if len(left) > 5 else ""))
