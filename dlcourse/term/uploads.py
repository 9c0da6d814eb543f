"""Where the uploads are: a folder or a platform's "download all submissions" zip.

Each upload is one file a student uploaded, with what its place says about it:

- plain:  <notebook>_<ps>_<id>.zip, as the hand-in command names it, in a folder or a zip;
- Canvas: <name>_<canvasid>_<submissionid>_<original name>, or <name>_LATE_<canvasid>_... for a
          late upload (Canvas's bulk download);
- Moodle: <Full Name>_<participant id>_assignsubmission_file_/<original name> (one folder per
          submission; Moodle's bulk download).

The upload's time is the archive's timestamp of the member (the platform's time of the
upload) or, in a folder, the file's modification time.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from dlcourse.term.archives import Refused, SafeZip

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<platform_id>\d+)_(?P<submission>\d+)_(?P<original>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<platform_id>\d+)_assignsubmission_file_?$")


@dataclass
class Upload:
    where: str                      # how the report names it (path in the folder or archive)
    original: str                   # the file name the student uploaded
    time: dt.datetime               # when it was uploaded (naive: the platform's local time)
    read: Callable[[], bytes]       # its bytes
    platform: str = "plain"         # plain, canvas or moodle
    platform_id: str | None = None  # the student's id on the platform (Canvas user id, Moodle participant)
    platform_name: str | None = None
    submission: str | None = None   # Canvas submission id
    late_flag: bool = False         # the platform marked it late
    extra: dict = field(default_factory=dict)

    @property
    def platform_prefix(self) -> str | None:
        """The prefix the platform's bulk feedback upload matches a file to its student by."""
        if self.platform == "canvas":
            return f"{self.platform_name}_{self.platform_id}_{self.submission}_"
        if self.platform == "moodle":
            return f"{self.platform_name}_{self.platform_id}_assignsubmission_file_"
        return None


def describe(path: str) -> dict:
    """What a path (relative, '/'-separated) says about its upload: platform, ids, original name."""
    parts = PurePosixPath(path).parts
    base = parts[-1]
    if len(parts) >= 2 and (m := MOODLE_FOLDER.match(parts[-2])):
        return {"platform": "moodle", "platform_id": m["platform_id"], "platform_name": m["name"], "original": base}
    if m := CANVAS.match(base):
        return {"platform": "canvas", "platform_id": m["platform_id"], "platform_name": m["name"],
                "submission": m["submission"], "late_flag": bool(m["late"]), "original": m["original"]}
    return {"platform": "plain", "original": base}


def _from_zip(archive: Path) -> list[Upload]:
    outer = SafeZip(str(archive), archive.name)
    uploads = []
    for member in outer.members():
        if member.name.startswith("__MACOSX/") or PurePosixPath(member.name).name.startswith("."):
            continue
        uploads.append(Upload(where=f"{archive.name}:{member.name}", time=dt.datetime(*member.date_time),
                              read=lambda n=member.name: outer.read(n), **describe(member.name)))
    return uploads


def _from_folder(folder: Path) -> list[Upload]:
    uploads = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(folder).as_posix()
        if path.name.startswith(".") or "__MACOSX" in rel:
            continue
        info = describe(rel)

        def read(p=path):
            if p.is_symlink():
                raise Refused("is a symbolic link, not an uploaded file")
            return p.read_bytes()
        uploads.append(Upload(where=rel, time=dt.datetime.fromtimestamp(path.lstat().st_mtime), read=read, **info))
    return uploads


def find_uploads(source: Path) -> list[Upload]:
    """Every upload in a folder, or in a platform's archive (a zip of uploads)."""
    source = Path(source)
    if source.is_dir():
        return _from_folder(source)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such folder or zip")
    try:
        uploads = _from_zip(source)
    except Refused as e:
        raise Refused(f"{source.name} {e}") from None
    if any(u.original.lower().endswith(".ipynb") for u in uploads):
        # a single student's hand-in zip given directly: it is the one upload
        return [Upload(where=source.name, original=source.name,
                       time=dt.datetime.fromtimestamp(source.stat().st_mtime), read=source.read_bytes)]
    return uploads
