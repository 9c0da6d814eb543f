"""Caps on a kernel's whole process tree: tasks (processes and threads), CPU, memory -- via cgroups.

`detect()` picks, once per process, the first mechanism the machine offers:
- cgroup v2, in a subtree we may write (our own cgroup; or only `cgroup_parent`, when given: a
  folder delegated to grading): one child cgroup per kernel with pids.max, cpu.max, memory.max;
- cgroup v1, with the pids and cpu controllers (memory too where mounted) writable: one child of
  our own cgroup per kernel and controller, with pids.max, cpu.cfs_quota_us, memory.limit_in_bytes;
- systemd-run: a transient scope per kernel (TasksMax, CPUQuota, MemoryMax), as the user's
  systemd instance where we are not root;
or none, with the reason in one line (then nothing is capped this way).

The kernel command is started inside its group (`KernelGroup.prefix`), so everything it starts,
in a new session or double-forked, is in it too; `kill` ends them all and `remove` the group.
"""
from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "dlcourse-kernel"
PERIOD_US = 100_000
# Started by Popen, then becomes the kernel command: joins the given cgroup.procs files first.
ATTACH = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


@dataclass
class Limits:
    tasks: int = 0     # processes + threads; 0 = no cap
    cpu: float = 0.0   # cores; 0 = no cap
    memory: int = 0    # bytes for the whole tree; 0 = no cap

    def any(self) -> bool:
        return bool(self.tasks or self.cpu or self.memory)


@dataclass
class KernelGroup:
    """One kernel's cgroup(s) (or systemd scope)."""
    prefix: list[str]
    dirs: list[Path] = field(default_factory=list)
    unit: str = ""
    systemctl: list[str] = field(default_factory=list)

    def kill(self) -> None:
        """SIGKILL every process in the group, until none is left (at most a few seconds)."""
        if self.unit:
            subprocess.run([*self.systemctl, "kill", "--signal=SIGKILL", f"{self.unit}.scope"],
                           capture_output=True, timeout=30)
            return
        if not self.dirs:
            return
        if (self.dirs[0] / "cgroup.kill").exists():  # cgroup v2, Linux 5.14+
            _write(self.dirs[0] / "cgroup.kill", "1")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pids = _pids(self.dirs[0])
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def tasks(self) -> int:
        """Processes in the group now."""
        return len(_pids(self.dirs[0])) if self.dirs else 0

    def remove(self) -> None:
        if self.unit:
            subprocess.run([*self.systemctl, "stop", f"{self.unit}.scope"], capture_output=True, timeout=30)
        for d in self.dirs:
            for _ in range(50):  # the last processes may take a moment to be reaped
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _pids(d: Path) -> list[int]:
    try:
        return [int(x) for x in (d / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount root, mount point, fstype, super options) of every cgroup mount."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        f, r = left.split(), right.split()
        if r and r[0] in ("cgroup", "cgroup2"):
            out.append((f[3], f[4], r[0], set(r[2].split(",")) if len(r) > 2 else set()))
    return out


def _own_cgroups() -> dict[str, str]:
    """{controller or "" (v2): our cgroup's path} from /proc/self/cgroup."""
    out = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, ctrls, path = line.split(":", 2)
        for c in ctrls.split(",") if ctrls else [""]:
            out[c] = path
    return out


def _under(mount_root: str, mount_point: str, path: str) -> Path | None:
    if path != mount_root and not path.startswith(mount_root.rstrip("/") + "/"):
        return None
    return Path(mount_point + "/" + path[len(mount_root):].lstrip("/")).resolve()


def _sweep(base: Path) -> None:
    """Remove empty kernel groups left by graders that no longer run (a crash, kill -9)."""
    for d in base.glob(f"{PREFIX}-*"):
        try:
            os.kill(int(d.name.split("-")[2]), 0)
        except (ProcessLookupError, ValueError, IndexError):
            try:
                d.rmdir()
            except OSError:
                pass
        except PermissionError:
            pass


def _writable(base: Path) -> str:
    probe = base / f"{PREFIX}-{os.getpid()}-probe"
    try:
        probe.mkdir()
        probe.rmdir()
        return ""
    except OSError as e:
        return f"cannot create cgroups in {base} ({e.strerror})"


class V2:
    name = "cgroup v2"

    def __init__(self, base: Path, controllers: set[str]):
        self.base, self.controllers = base, controllers

    @classmethod
    def find(cls, parent: str = "") -> tuple[V2 | None, str]:
        base = Path(parent) if parent else None
        if base is None:
            own = _own_cgroups().get("")
            for root, point, fstype, _ in _mounts():
                if fstype == "cgroup2" and own is not None:
                    base = _under(root, point, own)
                    break
        if base is None or not (base / "cgroup.controllers").exists():
            return None, "no cgroup v2 hierarchy"
        have = set((base / "cgroup.controllers").read_text().split()) & {"pids", "cpu", "memory"}
        if not {"pids", "cpu"} <= have:
            return None, f"cgroup v2 at {base} offers no pids/cpu controllers"
        missing = have - set((base / "cgroup.subtree_control").read_text().split())
        try:
            if missing:
                _write(base / "cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(missing)))
        except OSError as e:
            return None, f"cannot enable {'/'.join(sorted(missing))} in {base} ({e.strerror})"
        why = _writable(base)
        if why:
            return None, why
        _sweep(base)
        return cls(base, have), ""

    def start(self, name: str, limits: Limits) -> KernelGroup:
        d = self.base / name
        d.mkdir()
        if limits.tasks:
            _write(d / "pids.max", str(limits.tasks))
        if limits.cpu:
            _write(d / "cpu.max", f"{int(limits.cpu * PERIOD_US)} {PERIOD_US}")
        if limits.memory and "memory" in self.controllers:
            _write(d / "memory.max", str(limits.memory))
        return KernelGroup(["/bin/sh", "-c", ATTACH, "sh", str(d / "cgroup.procs"), "--"], [d])


class V1:
    name = "cgroup v1"

    def __init__(self, bases: dict[str, Path]):
        self.bases = bases

    @classmethod
    def find(cls) -> tuple[V1 | None, str]:
        own, bases = _own_cgroups(), {}
        for root, point, fstype, opts in _mounts():
            for c in ("pids", "cpu", "memory"):
                if fstype == "cgroup" and c in opts and c in own and c not in bases:
                    d = _under(root, point, own[c])
                    if d is not None and d.is_dir():
                        bases[c] = d
        if not {"pids", "cpu"} <= set(bases):
            return None, "no cgroup v1 pids/cpu hierarchy"
        for c in list(bases):
            why = _writable(bases[c])
            if why and c == "memory":
                del bases["memory"]
            elif why:
                return None, why
        for d in bases.values():
            _sweep(d)
        return cls(bases), ""

    def start(self, name: str, limits: Limits) -> KernelGroup:
        dirs = []
        try:
            for c, base in self.bases.items():
                d = base / name
                d.mkdir()
                dirs.append(d)
                if c == "pids" and limits.tasks:
                    _write(d / "pids.max", str(limits.tasks))
                elif c == "cpu" and limits.cpu:
                    _write(d / "cpu.cfs_period_us", str(PERIOD_US))
                    _write(d / "cpu.cfs_quota_us", str(int(limits.cpu * PERIOD_US)))
                elif c == "memory" and limits.memory:
                    _write(d / "memory.limit_in_bytes", str(limits.memory))
        except OSError:
            KernelGroup([], dirs).remove()
            raise
        # the pids hierarchy first: kill() and tasks() read it
        dirs.sort(key=lambda d: d.parent != self.bases["pids"])
        return KernelGroup(["/bin/sh", "-c", ATTACH, "sh", *(str(d / "cgroup.procs") for d in dirs), "--"], dirs)


class Systemd:
    name = "systemd scope"

    def __init__(self, run: list[str], ctl: list[str]):
        self.run, self.ctl = run, ctl

    @classmethod
    def find(cls) -> tuple[Systemd | None, str]:
        exe, ctl = shutil.which("systemd-run"), shutil.which("systemctl")
        if not exe or not ctl:
            return None, "no systemd-run"
        user = ["--user"] if os.geteuid() != 0 else []
        try:
            r = subprocess.run([exe, *user, "--scope", "--quiet", "--collect", "-p", "TasksMax=64", "true"],
                               capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            return None, f"systemd-run cannot run ({e})"
        if r.returncode != 0:
            return None, f"systemd-run --scope fails ({(r.stderr.strip().splitlines() or ['?'])[-1][:120]})"
        return cls([exe, *user], [ctl, *user]), ""

    def start(self, name: str, limits: Limits) -> KernelGroup:
        props = []
        if limits.tasks:
            props += ["-p", f"TasksMax={limits.tasks}"]
        if limits.cpu:
            props += ["-p", f"CPUQuota={round(limits.cpu * 100)}%"]
        if limits.memory:
            props += ["-p", f"MemoryMax={limits.memory}"]
        return KernelGroup([*self.run, "--scope", "--quiet", "--collect", f"--unit={name}", *props, "--"],
                           unit=name, systemctl=self.ctl)


@functools.lru_cache(maxsize=None)
def detect(parent: str = "") -> tuple[V2 | V1 | Systemd | None, str]:
    """(the mechanism to cap kernels with, '') or (None, why none is available, one line)."""
    if parent:  # the delegated folder grading was given, or nothing
        found, reason = V2.find(parent)
        return found, reason
    why = []
    for find in (V2.find, V1.find, Systemd.find):
        found, reason = find()
        if found is not None:
            return found, ""
        why.append(reason)
    return None, "; ".join(why)


_count = iter(range(1, 1 << 62))


def group_name() -> str:
    """A new kernel group's name: the grader's pid (for _sweep) and a counter."""
    return f"{PREFIX}-{os.getpid()}-{next(_count)}"
