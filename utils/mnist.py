"""MNIST from the four original IDX gzip files, read with NumPy alone.

    images, labels = load_mnist("train")   # (60000, 28, 28) uint8, (60000,) uint8
    images, labels = load_mnist("test")    # (10000, 28, 28) uint8, (10000,) uint8

Files live in datasets/mnist/ and are verified against datasets/mnist/SHA256SUMS
on first use.  `python -m utils.mnist --fetch` fills that folder from
$MNIST_DIR, else ../shared/datasets/mnist next to the course, else the public
mirror (verified the same way).
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import urllib.request
from pathlib import Path

import numpy as np

from .checksums import read_sums, sha256
from .paths import COURSE_ROOT, datasets_dir

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
SHARED = COURSE_ROOT.parent / "shared" / "datasets" / "mnist"  # present on the course's machines
HOW_TO_FIX = ("Run `make setup` (or `python -m utils.mnist --fetch`) in the course folder; "
              "it copies MNIST from $MNIST_DIR or ../shared/datasets/mnist, "
              "or downloads it from " + MIRROR + ".")


class MNISTError(RuntimeError):
    """MNIST files missing, corrupt or unreadable; the message says how to fix it."""


def mnist_dir() -> Path:
    return datasets_dir() / "mnist"


def expected_sums(folder: Path | None = None) -> dict[str, str]:
    sums_file = (folder or mnist_dir()) / "SHA256SUMS"
    if not sums_file.exists():
        sums_file = COURSE_ROOT / "datasets" / "mnist" / "SHA256SUMS"
    return read_sums(sums_file)


def verify(folder: Path | None = None) -> None:
    """Raise MNISTError unless all four files are present with the right SHA-256."""
    folder = folder or mnist_dir()
    for name, digest in expected_sums(folder).items():
        path = folder / name
        if not path.exists():
            raise MNISTError(f"MNIST file {path} is missing. {HOW_TO_FIX}")
        if sha256(path) != digest:
            raise MNISTError(f"MNIST file {path} is corrupt (SHA-256 mismatch). "
                             f"Delete it and fetch again. {HOW_TO_FIX}")


def _read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise MNISTError(f"Cannot read {path} ({e}). {HOW_TO_FIX}") from None
    header = 4 + 4 * ndim
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        raise MNISTError(f"{path} is not an IDX file of the expected kind. {HOW_TO_FIX}")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(shape)):
        raise MNISTError(f"{path} is truncated. {HOW_TO_FIX}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


_VERIFIED: set[Path] = set()


def load_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of the 'train' or 'test' split."""
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = mnist_dir()
    if folder not in _VERIFIED:
        verify(folder)
        _VERIFIED.add(folder)
    img_name, lbl_name = FILES[split]
    images = _read_idx(folder / img_name, 2051, 3)
    labels = _read_idx(folder / lbl_name, 2049, 1)
    if len(images) != len(labels):
        raise MNISTError(f"{split}: {len(images)} images but {len(labels)} labels. {HOW_TO_FIX}")
    return images, labels


def sources() -> list[Path]:
    """Folders `fetch` copies from, in order: $MNIST_DIR, then ../shared/datasets/mnist."""
    return ([Path(os.environ["MNIST_DIR"]).expanduser()] if os.environ.get("MNIST_DIR") else []) + [SHARED]


def fetch(dest: Path | None = None) -> Path:
    """Fill `dest` (datasets/mnist) with verified copies of the four files:
    copied from the first of `sources()` that has a file with the right SHA-256,
    else downloaded from MIRROR (and verified)."""
    dest = dest or mnist_dir()
    dest.mkdir(parents=True, exist_ok=True)
    sums = expected_sums(dest)
    candidates = sources()
    for name, digest in sums.items():
        target = dest / name
        if target.exists() and sha256(target) == digest:
            continue
        for folder in candidates:
            src = folder / name
            if src.exists() and sha256(src) == digest:
                shutil.copyfile(src, target)
                break
        else:
            url = MIRROR + name
            print(f"mnist: downloading {url}")
            try:
                urllib.request.urlretrieve(url, target)
            except OSError as e:
                target.unlink(missing_ok=True)
                raise MNISTError(f"Could not get {name}: not in {', '.join(map(str, candidates))} "
                                 f"and the download failed ({e}). Put the four MNIST .gz files in a "
                                 f"folder and set MNIST_DIR to it.") from None
            if sha256(target) != digest:
                target.unlink()
                raise MNISTError(f"Downloaded {name} has the wrong SHA-256; not kept.")
    verify(dest)
    (dest / ".verified").touch()
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Fetch and verify the MNIST files.")
    ap.add_argument("--fetch", action="store_true", help="copy or download the files into datasets/mnist")
    args = ap.parse_args(argv)
    try:
        if args.fetch:
            print(f"mnist: files ready in {fetch()}")
        else:
            verify()
            print(f"mnist: {mnist_dir()} verified")
    except MNISTError as e:
        print(f"mnist: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
