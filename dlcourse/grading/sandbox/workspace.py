"""The disk cap: a kernel works in a size-limited tmpfs; its results come back when it ends.

Inside the sandbox the kernel's folder is a tmpfs of `disk_limit` bytes holding a copy of the
real folder (bwrap.py, prelude.py).  A hand-in that fills it gets OSError (ENOSPC) in its own
cell; the grader's disk never sees more than the cap.  The prelude hands the provisioner an open
descriptor of that folder (SCM_RIGHTS over a socket pair; also of the folder of its ZMQ
sockets), which keeps the tmpfs readable after the sandbox is gone; `copy_back` then copies new and changed regular files into the real folder
(never through a symlink, at most `disk_limit` bytes and MAX_FILES files), and `close` frees it.
"""
from __future__ import annotations

import array
import asyncio
import os
import shutil
import socket
import stat

MAX_FILES = 10_000  # files copied back per kernel; each costs an inode on the grader's disk
BLOCK = 4096        # a file's footprint on disk is counted in blocks


class Workspace:
    """One kernel's capped working folder, as seen from the grader."""

    def __init__(self):
        self._mine, self._theirs = socket.socketpair()
        self.fds: list[int] = []

    def child_fd(self) -> int:
        """The descriptor the sandboxed prelude inherits (pass it in Popen's pass_fds)."""
        return self._theirs.fileno()

    def launched(self) -> None:
        """The kernel process has started: the child's end is its own now."""
        self._theirs.close()

    async def receive(self, timeout: float = 120.0) -> bool:
        """Wait for the prelude's descriptors (the folders it was asked to send, in order); False
        if the sandbox ended without sending them."""
        self._mine.settimeout(timeout)

        def recv() -> list[int]:
            try:
                _, anc, _, _ = self._mine.recvmsg(1, socket.CMSG_SPACE(8 * array.array("i").itemsize))
            except OSError:
                return []
            fds = array.array("i")
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            return list(fds)

        self.fds = await asyncio.get_running_loop().run_in_executor(None, recv)
        self._mine.close()
        return bool(self.fds)

    def copy_back(self, dest: str, max_bytes: int) -> list[str]:
        """Copy the folder's new and changed regular files into `dest`; what was left out, in words."""
        if not self.fds:
            return []
        dest = os.path.realpath(dest)
        budget = {"bytes": max_bytes, "files": MAX_FILES}
        skipped: list[str] = []
        todo = [(os.dup(self.fds[0]), "")]
        while todo:
            dfd, rel = todo.pop()
            try:
                for entry in os.scandir(dfd):
                    _copy_entry(dfd, entry, rel, dest, budget, skipped, todo)
            finally:
                os.close(dfd)
        return skipped

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        for s in (self._mine, self._theirs):
            s.close()


def _copy_entry(dfd: int, entry, rel: str, dest: str, budget: dict, skipped: list, todo: list) -> None:
    path = os.path.join(rel, entry.name)
    st = entry.stat(follow_symlinks=False)
    if stat.S_ISDIR(st.st_mode):
        target = os.path.join(dest, path)
        if os.path.islink(target) or (os.path.exists(target) and not os.path.isdir(target)):
            skipped.append(f"{path}/ (not a folder here)")
            return
        os.makedirs(target, exist_ok=True)
        todo.append((os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd), path))
        return
    if not stat.S_ISREG(st.st_mode):
        skipped.append(f"{path} (not a regular file)")
        return
    target = os.path.join(dest, path)
    if os.path.realpath(os.path.dirname(target)) != os.path.dirname(target) or os.path.islink(target):
        skipped.append(f"{path} (a symlink on the way)")
        return
    try:
        old = os.stat(target)
        if (old.st_size, old.st_mtime_ns) == (st.st_size, st.st_mtime_ns):
            return  # unchanged: the copy the kernel started with
    except FileNotFoundError:
        pass
    cost = max(BLOCK, -(-st.st_size // BLOCK) * BLOCK)
    if cost > budget["bytes"] or budget["files"] <= 0:
        skipped.append(f"{path} (over the disk cap)")
        return
    budget["bytes"] -= cost
    budget["files"] -= 1
    src = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dfd)
    with open(src, "rb") as fin, open(target, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
