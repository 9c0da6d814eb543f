"""Reading uploaded zips without trusting them.

A hand-in zip comes from a student's laptop, wrapped by a learning platform's "download all
submissions" archive.  Before anything of it is written, every member is checked: no path
that escapes the target folder (absolute, drive letters, ``..``), no symbolic links, no
encryption, no zip bomb (members are read in chunks and refused past a size limit, whatever
sizes the archive claims), no corrupt data (CRC).  Problems raise `Refused` with one line
saying why.
"""
from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_MEMBER_BYTES = 200 * 2**20     # one file inside a hand-in (a notebook with figures, a PDF)
MAX_TOTAL_BYTES = 400 * 2**20      # everything read from one hand-in zip
MAX_MEMBERS = 200                  # files in one hand-in zip
MAX_RATIO = 200                    # uncompressed / compressed size of a member (a zip bomb's is ~1000)
CHUNK = 2**20


class Refused(Exception):
    """Why an upload is refused, in one line for the instructor."""


@dataclass(frozen=True)
class Member:
    name: str          # path inside the archive, '/'-separated
    date_time: tuple   # the archive's timestamp of the member (local time, no zone)


def check_name(name: str) -> str:
    """The member's path, refused if it could land outside the folder it is extracted to."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise Refused(f"holds {name!r}, a path outside its folder (absolute or a drive)")
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts):
        raise Refused(f"holds {name!r}, a path escaping its folder ('..')")
    return name


def check_info(info: zipfile.ZipInfo) -> None:
    check_name(info.filename)
    if info.flag_bits & 0x1:
        raise Refused("is encrypted (password-protected); ask for the zip the hand-in command made")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise Refused(f"holds {info.filename!r}, a symbolic link")
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 10 * 2**20:
        raise Refused(f"holds {info.filename!r}, compressed {info.file_size / info.compress_size:.0f}:1 "
                      "(a zip bomb?)")
    if info.file_size > MAX_MEMBER_BYTES:
        raise Refused(f"holds {info.filename!r} of {info.file_size / 2**20:.0f} MB, over the "
                      f"{MAX_MEMBER_BYTES / 2**20:.0f} MB limit")


class SafeZip:
    """A zip archive whose members are checked before they are read (see the module doc)."""

    def __init__(self, source: bytes | str, label: str = "the zip"):
        self.label = label
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise Refused(f"is not a readable zip (corrupt or truncated: {e})") from None
        if len(infos) > MAX_MEMBERS:
            raise Refused(f"holds {len(infos)} files, over the limit of {MAX_MEMBERS}")
        for info in infos:
            check_info(info)
        self.infos = [i for i in infos if not i.is_dir()]
        self._read = 0

    def members(self) -> list[Member]:
        return [Member(i.filename, i.date_time) for i in self.infos]

    def read(self, name: str) -> bytes:
        """A member's bytes, read in chunks and refused past the limits (sizes in the header can lie)."""
        info = next(i for i in self.infos if i.filename == name)
        out = io.BytesIO()
        try:
            with self.zf.open(info) as fh:
                while chunk := fh.read(CHUNK):
                    out.write(chunk)
                    self._read += len(chunk)
                    if out.tell() > MAX_MEMBER_BYTES or self._read > MAX_TOTAL_BYTES:
                        raise Refused(f"holds {name!r}, which unpacks past the size limit (a zip bomb?)")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
            raise Refused(f"is corrupt ({name!r}: {e})") from None
        return out.getvalue()

    def close(self) -> None:
        self.zf.close()
