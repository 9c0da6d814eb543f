"""SHA-256 checksums of the course's data files (one job: hashing and SHA256SUMS files).

SHA256SUMS uses the format of `sha256sum`: one `<hex digest>  <file name>` per
line (a `*` before the name marks binary mode and is ignored).
"""
from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_sums(sums_file: Path) -> dict[str, str]:
    """{file name: hex digest} from a SHA256SUMS file."""
    sums = {}
    for n, line in enumerate(Path(sums_file).read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise ValueError(f"{sums_file}:{n}: expected '<sha256>  <file name>', got {line!r}")
        sums[parts[1].strip().lstrip("*")] = parts[0].lower()
    return sums
