"""Sandboxed Jupyter kernels for grading: student code sees only its own folder.

`SandboxedKernelManager` starts each kernel inside bubblewrap (`bwrap`, Debian
package `bubblewrap`) with

- read-write: the folder the notebook runs in (autograded/<student>/<ps>/ under
  `nbgrader autograde`, the notebook's folder under `nbgrader validate`) and a
  private, empty /tmp;
- read-only: the Python environment (this venv and the Python it was made
  from), /usr and the system libraries, a few files of /etc, the course's
  `utils` package and `datasets/` folder;
- nothing else: not source/, not the gradebook, not release/, tests/, tools/,
  not other students' folders, not $HOME; no network (own network namespace),
  own PID namespace (cannot see or signal the grader), no capabilities;
- a memory cap (`memory_limit`, RLIMIT_AS of the kernel process): a memory bomb
  becomes a MemoryError in that hand-in, not a dead machine.

The kernel talks to nbgrader over ZMQ unix-domain sockets (transport "ipc") in
a private directory that both sides see at the same path; a kernel with its
own network namespace cannot reach TCP on the host's loopback.  Interrupts go
as messages over the control channel (signals cannot cross the PID namespace),
and a kernel that ignores the interrupt is killed when nbclient shuts it down.

Where no sandbox can start (bwrap missing, user namespaces disabled), starting
a kernel fails with `SandboxUnavailable` unless `allow_unsandboxed` is set (or
the environment has COURSE_ALLOW_UNSANDBOXED=1): then the kernel runs without
isolation, memory cap still applied, and a warning is logged.

Enable in nbgrader_config.py with `dlcourse.grading.sandbox.enable(c)`.
"""
from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

ENV_ALLOW = "COURSE_ALLOW_UNSANDBOXED"
GiB = 2 ** 30

# Runs inside the sandbox before the kernel: cap its memory, then become the kernel.
# Runs inside the sandbox before the kernel: seed matplotlib's font cache (else every
# kernel rebuilds it, ~0.6 s), cap the memory, then become the kernel.
_MPL_SEED = "/run/course-mplcache"
_RLIMIT = ("import glob, os, resource, shutil, sys\n"
           f"for f in glob.glob('{_MPL_SEED}/fontlist-*.json'):\n"
           "    os.makedirs(os.environ['MPLCONFIGDIR'], exist_ok=True); shutil.copy(f, os.environ['MPLCONFIGDIR'])\n"
           "n = int(sys.argv[1])\n"
           "if n > 0: resource.setrlimit(resource.RLIMIT_AS, (n, n))\n"
           "os.execv(sys.argv[2], sys.argv[2:])\n")

_ETC = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
        "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/alternatives",
        "/etc/fonts", "/etc/mime.types"]


class SandboxUnavailable(RuntimeError):
    """No sandbox could start and unsandboxed grading is not allowed."""


def _real(p) -> str:
    return os.path.realpath(str(p))


def course_paths() -> list[str]:
    """The course's `utils` package and `datasets/` folder (read-only in the sandbox).

    Every copy an import could find: the editable install's and, when grading
    runs in a course folder holding utils/, that one.
    """
    out = []
    for finder in sys.meta_path:
        try:
            spec = finder.find_spec("utils", None)
        except Exception:  # noqa: BLE001  (a finder that cannot answer)
            continue
        for loc in (spec.submodule_search_locations or []) if spec else []:
            out += [_real(loc), _real(Path(loc).parent / "datasets")]
    if os.environ.get("COURSE_DATASETS"):
        out.append(_real(Path(os.environ["COURSE_DATASETS"]).expanduser()))
    return out


@functools.lru_cache(maxsize=None)
def probe(bwrap: str) -> str:
    """'' when `bwrap` can start a sandbox here, else why not."""
    exe = shutil.which(bwrap)
    if not exe:
        return f"{bwrap!r} not found (install the Debian/Ubuntu package `bubblewrap`)"
    try:
        r = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{exe} cannot run: {e}"
    if r.returncode != 0:
        return (f"{exe} cannot create namespaces ({r.stderr.strip()[:200]}); "
                "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1)")
    return ""


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernels run inside bubblewrap with a memory cap."""

    bwrap = Unicode("bwrap", help="The bubblewrap executable (name on PATH or path).").tag(config=True)
    memory_limit = Integer(
        6 * GiB, help="Address-space cap of each kernel in bytes (RLIMIT_AS); 0 = none. "
        "The default lets two graders run side by side on a 24 GB machine.").tag(config=True)
    allow_unsandboxed = Bool(
        False, help="Run kernels without a sandbox when none can start (also: "
        f"environment variable {ENV_ALLOW}=1). Only for trusted code.").tag(config=True)
    read_only = List(Unicode(), help="Extra paths the kernel may read (at their real path).").tag(config=True)
    read_write = List(Unicode(), help="Extra paths the kernel may write.").tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.transport = "ipc"
        self.sandboxed = False
        self._ipc_dir = ""

    # -- the sandbox ---------------------------------------------------------
    def _unsandboxed_allowed(self) -> bool:
        return self.allow_unsandboxed or os.environ.get(ENV_ALLOW, "") not in ("", "0")

    def sandbox_argv(self, cwd: str) -> list[str]:
        """The bwrap command line (without the command) for a kernel running in `cwd`."""
        a = [shutil.which(self.bwrap), "--unshare-all", "--die-with-parent", "--new-session",
             "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr"):
            if os.path.islink(top):
                a += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                a += ["--ro-bind", top, top]
        for p in _ETC:
            a += ["--ro-bind-try", p, p]
        # CPU topology for the BLAS/OpenMP runtimes; nothing else of /sys.
        a += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
        ro = {_real(sys.prefix), _real(sys.base_prefix), _real(Path(sys.executable).parent),
              _real(sys.executable), *course_paths(), *map(_real, self.read_only)}
        done = ["/usr"]
        for p in sorted(ro):  # parents before children; a child of a bound path needs nothing
            if os.path.exists(p) and not any(p == d or p.startswith(d + "/") for d in done):
                a += ["--ro-bind", p, p]
                done.append(p)
        for p in [self._ipc_dir, *map(_real, self.read_write), _real(cwd)]:
            if p:
                a += ["--bind", p, p]
        mpl = os.environ.get("MPLCONFIGDIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
        if glob.glob(os.path.join(mpl, "fontlist-*.json")):
            a += ["--ro-bind", mpl, _MPL_SEED]
        # The skeleton bwrap builds (parents of the mounts) becomes read-only too.
        a += ["--remount-ro", "/"]
        a += ["--chdir", _real(cwd), "--setenv", "HOME", "/tmp",
              "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib", "--setenv", "TMPDIR", "/tmp",
              "--unsetenv", "JUPYTER_RUNTIME_DIR", "--unsetenv", "JUPYTER_DATA_DIR",
              # ipykernel quits when its parent becomes PID 1, which bwrap is inside the
              # PID namespace; "1" turns its parent polling off (--die-with-parent does it).
              "--setenv", "JPY_PARENT_PID", "1"]
        return a

    async def _async_pre_start_kernel(self, **kw):
        why = probe(self.bwrap)
        if why and not self._unsandboxed_allowed():
            raise SandboxUnavailable(
                f"cannot sandbox student code: {why}. Grading stopped. To grade WITHOUT isolation "
                f"(trusted code only) set {ENV_ALLOW}=1 or c.SandboxedKernelManager.allow_unsandboxed = True.")
        self.sandboxed = not why
        if why:
            self.log.warning("Kernel NOT sandboxed (%s); allowed by configuration.", why)
        if not self._ipc_dir:
            # ZMQ over unix sockets in a directory both sides see at the same path.
            self._ipc_dir = tempfile.mkdtemp(prefix="course-kernel-")
            weakref.finalize(self, shutil.rmtree, self._ipc_dir, True)
            self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
            self.ip = os.path.join(self._ipc_dir, "k")
        # Signals cannot reach a kernel in its own PID namespace: interrupt by message.
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        cwd = kw.get("cwd") or os.getcwd()
        cmd = [sys.executable, "-c", _RLIMIT, str(self.memory_limit), *kernel_cmd]
        if self.sandboxed:
            cmd = [*self.sandbox_argv(cwd), "--", *cmd]
        self.log.debug("Sandboxed kernel command: %s", cmd)
        await super()._async_launch_kernel(cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = ""


def enable(c) -> None:
    """Run nbgrader's kernels (autograde and validate) in the sandbox.

    nbgrader 0.9.6's Execute.__init__ passes `kernel_manager_class=AsyncKernelManager`
    as a constructor argument, and traitlets lets constructor arguments beat
    configuration, so `c.Execute.kernel_manager_class` alone is ignored: point the
    name that __init__ reads at the sandboxed manager as well.
    """
    import nbgrader.preprocessors.execute as execute

    execute.AsyncKernelManager = SandboxedKernelManager
    c.Execute.kernel_manager_class = SandboxedKernelManager
    c.NotebookClient.kernel_manager_class = SandboxedKernelManager
