"""Uploads as students and platforms make them, for the term tests.

Real hand-in zips come from the course's own hand-in command (`dlcourse handin`); platform
archives wrap them in Canvas's and Moodle's layouts; the bad cases are built byte by byte.
"""
from __future__ import annotations

import io
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from dlcourse.authoring.examples import make_handin

ROOT = Path(__file__).resolve().parents[2]


def real_handin(tmp: Path, student: str, ps: str = "ps1", notebook: str = "gradient_descent",
                kind: str = "reference") -> Path:
    """<notebook>_<ps>_<student>.zip made by `dlcourse handin` (PDF included, self-check skipped)."""
    folder = tmp / f"{student}-{ps}" / ps
    folder.mkdir(parents=True)
    for f in (ROOT / "release" / ps).iterdir():
        if f.is_file() and f.suffix != ".ipynb":
            shutil.copy(f, folder / f.name)
    nb = make_handin(kind, ROOT / "release" / ps / f"{notebook}.ipynb", ROOT / "source" / ps / f"{notebook}.ipynb")
    nbformat.write(nb, folder / f"{notebook}.ipynb")
    proc = subprocess.run([sys.executable, "-m", "dlcourse", "handin", str(folder / f"{notebook}.ipynb"),
                           "--student", student, "--no-check", "--out", str(tmp)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    made = tmp / f"{notebook}_{ps}_{student}.zip"
    assert made.is_file(), proc.stdout
    return made


def renamed(handin: Path, dest: Path) -> Path:
    """The same hand-in under another file name (another student's upload of the same work)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(handin, dest)
    return dest


def zip_of(members: dict[str, bytes], dest: Path | None = None, times: dict[str, tuple] | None = None) -> bytes:
    """A zip holding `members` ({name: bytes}); member times from `times` ({name: date_time})."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(times or {}).get(name, (2027, 1, 10, 12, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    if dest is not None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(buf.getvalue())
    return buf.getvalue()


def members(handin: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(handin) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def encrypted(data: bytes) -> bytes:
    """The zip with every member marked as encrypted (general purpose bit 0), as `zip -e` marks them."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := out.find(sig, start)) >= 0:
            out[i + offset] |= 0x01
            start = i + 4
    return bytes(out)


def with_symlink(name: str, target: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
    return buf.getvalue()


def bomb(name: str, size: int = 300 * 2**20) -> bytes:
    """A zip whose one member unpacks to `size` bytes of zeros (about 300 KB compressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            chunk = b"\0" * 2**20
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()
