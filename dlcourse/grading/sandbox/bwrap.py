"""The bubblewrap command line that a grading kernel starts under.

What the kernel sees (`sandbox_argv`):
- read-write: a private /tmp and its own folder (the notebook's folder); with a disk cap each is a
  tmpfs of that size, the folder holding a copy of the real one (the hand-in, read-only at
  HANDIN_COPY) that the provisioner copies back when the kernel ends (workspace.py);
- read-only: /usr and the system libraries, a few files of /etc, the CPU topology of /sys, the
  Python environment and every path the kernel command needs, at the path the command names it
  (symlinks on the way, such as a course's `.venv` linked to an environment elsewhere, are made
  again inside), the course's `utils` package and `datasets/` folder;
- nothing else: own user, PID, network, IPC, UTS and cgroup namespaces; no capabilities.
"""
from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

MPL_SEED = "/run/course-mplcache"   # matplotlib's font cache, read-only (saves ~0.6 s per kernel)
HANDIN_COPY = "/run/course-handin"  # the real folder, read-only: copied into the capped one at start
SYSTEM_TOPS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr")
ETC = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
       "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/alternatives",
       "/etc/fonts", "/etc/mime.types"]


def real(p) -> str:
    return os.path.realpath(str(p))


@functools.lru_cache(maxsize=None)
def probe(bwrap: str) -> str:
    """'' when `bwrap` can start a sandbox here, else why not (one line)."""
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
            out += [real(loc), real(Path(loc).parent / "datasets")]
    if os.environ.get("COURSE_DATASETS"):
        out.append(real(Path(os.environ["COURSE_DATASETS"]).expanduser()))
    return out


def symlinks_on_the_way(path: str) -> list[tuple[str, str]]:
    """[(link, its target as written)] for every symlink met while resolving the absolute `path`."""
    links: list[tuple[str, str]] = []
    rest, cur = [p for p in path.split("/") if p], "/"
    while rest:
        name = rest.pop(0)
        if name == ".":
            continue
        if name == "..":
            cur = os.path.dirname(cur)
            continue
        nxt = os.path.join(cur, name)
        if not os.path.islink(nxt):
            cur = nxt
            continue
        target = os.readlink(nxt)
        links.append((nxt, target))
        if len(links) > 40:
            raise OSError(f"too many symlinks resolving {path}")
        cur = "/" if target.startswith("/") else cur
        rest = [p for p in target.split("/") if p] + rest
    return links


def needed_paths(kernel_cmd: list[str], extra: list[str]) -> list[str]:
    """The paths, as the kernel command names them, that must exist inside the sandbox."""
    named = [sys.executable, sys.prefix, sys.base_prefix, *extra]
    named += [a for a in kernel_cmd if a.startswith("/") and os.path.exists(a)]
    return named


def _system_args() -> list[str]:
    a = []
    for top in SYSTEM_TOPS:
        if os.path.islink(top):
            a += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            a += ["--ro-bind", top, top]
    for p in ETC:
        a += ["--ro-bind-try", p, p]
    # CPU topology for the BLAS/OpenMP runtimes; nothing else of /sys.
    return a + ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]


def _read_only_args(named: list[str]) -> list[str]:
    """Bind the real path of everything in `named` (read-only), and make again inside each symlink
    on the way to it that no bound folder brings along."""
    ro = {real(p) for p in named} | {real(Path(sys.executable).parent), *course_paths()}
    bound = ["/usr"]
    a = []
    for p in sorted(ro):  # parents before children; a child of a bound path needs nothing
        if os.path.exists(p) and not any(p == d or p.startswith(d + "/") for d in bound):
            a += ["--ro-bind", p, p]
            bound.append(p)
    links = {}
    for p in named:
        for link, target in symlinks_on_the_way(os.path.abspath(p)):
            if not any(link.startswith(d + "/") for d in bound) and link not in SYSTEM_TOPS:
                links[link] = target
    for link, target in links.items():
        a += ["--symlink", target, link]
    return a


def sandbox_argv(bwrap: str, cwd: str, kernel_cmd: list[str], *, read_only: list[str] = (),
                 read_write: list[str] = (), disk_limit: int = 0) -> list[str]:
    """The bwrap command line (without the command) for a kernel running in `cwd`.

    With `disk_limit` (bytes), /tmp and `cwd` are tmpfs of that size each, `cwd` to be filled
    from HANDIN_COPY by the prelude; without, `cwd` is the real folder.
    """
    cwd = real(cwd)
    size = ["--size", str(disk_limit)] if disk_limit else []
    a = [shutil.which(bwrap), "--unshare-all", "--die-with-parent", "--new-session",
         "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", *size, "--tmpfs", "/tmp"]
    a += _system_args()
    a += _read_only_args(needed_paths(kernel_cmd, list(read_only)))
    for p in map(real, read_write):
        a += ["--bind", p, p]
    if disk_limit:
        a += ["--ro-bind", cwd, HANDIN_COPY, *size, "--tmpfs", cwd]
    else:
        a += ["--bind", cwd, cwd]
    mpl = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    if glob.glob(os.path.join(mpl, "fontlist-*.json")):
        a += ["--ro-bind", mpl, MPL_SEED]
    # The skeleton bwrap builds (parents of the mounts) becomes read-only too.
    a += ["--remount-ro", "/"]
    return a + ["--chdir", cwd, "--setenv", "HOME", "/tmp",
                "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib", "--setenv", "TMPDIR", "/tmp",
                "--unsetenv", "JUPYTER_RUNTIME_DIR", "--unsetenv", "JUPYTER_DATA_DIR", "--unsetenv", "JUPYTER_PATH",
                # ipykernel quits when its parent becomes PID 1, which bwrap is inside the
                # PID namespace; "1" turns its parent polling off (--die-with-parent does it).
                "--setenv", "JPY_PARENT_PID", "1"]
