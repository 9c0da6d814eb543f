"""Runs inside the sandbox just before the kernel, then becomes the kernel (os.execv).

    python -I -S -c <this file's text> '<settings as JSON>' <kernel command...>

Standalone (the standard library only: dlcourse is not visible in the sandbox).  Settings:
- "copy_from": fill the working folder (a size-capped tmpfs) with a copy of this folder (the
  hand-in, read-only); a copy that does not fit stops here, with one line on stderr;
- "fd", "send": a unix socket to the provisioner, and the folders to send it open (SCM_RIGHTS,
  made if missing): the working folder, so it can copy the results back after the kernel ends,
  and the folder of the kernel's ZMQ sockets, so it can reach them;
- "mpl_seed": matplotlib's font cache to start from (else every kernel rebuilds it, ~0.6 s);
- "memory": RLIMIT_AS in bytes (0: none): an oversized allocation is a MemoryError.
"""
import array
import glob
import json
import os
import resource
import shutil
import socket
import sys


def main(argv):
    conf, cmd = json.loads(argv[1]), argv[2:]
    if conf.get("copy_from"):
        try:
            shutil.copytree(conf["copy_from"], ".", symlinks=True, dirs_exist_ok=True)
        except (OSError, shutil.Error) as e:
            sys.exit(f"sandbox: the hand-in folder does not fit its disk cap ({e})")
    mpl = os.environ.get("MPLCONFIGDIR", "")
    for f in glob.glob(os.path.join(conf.get("mpl_seed", "/nonexistent"), "fontlist-*.json")) if mpl else []:
        os.makedirs(mpl, exist_ok=True)
        shutil.copy(f, mpl)
    if conf.get("fd", -1) >= 0:
        folders = []
        for path in conf["send"]:
            os.makedirs(path, mode=0o700, exist_ok=True)
            folders.append(os.open(path, os.O_RDONLY | os.O_DIRECTORY))
        with socket.socket(fileno=conf["fd"]) as s:
            s.sendmsg([b"1"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", folders))])
        for fd in folders:
            os.close(fd)
    if conf.get("memory", 0) > 0:
        resource.setrlimit(resource.RLIMIT_AS, (conf["memory"], conf["memory"]))
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv)
