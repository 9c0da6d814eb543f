"""The course's small datasets: CSV files under datasets/<name>/, checksummed.

    path = dataset_path("moons", "train")          # datasets/moons/train.csv, verified
    X, y = load_csv_dataset("tiny-classification", "train")   # float64 features, labels

Each dataset folder holds train.csv, test.csv (header row, label last) and
SHA256SUMS; tools/datasets/ generates them deterministically.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .paths import datasets_dir


class DatasetError(RuntimeError):
    """A course dataset is missing or corrupt; the message says how to fix it."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dataset_path(name: str, split: str = "train") -> Path:
    """Verified path of datasets/<name>/<split>.csv."""
    folder = datasets_dir() / name
    path = folder / f"{split}.csv"
    fix = ("These files come with the course: restore them with `git checkout datasets/` "
           "or regenerate them with `python -m tools.datasets`.")
    if not path.exists():
        raise DatasetError(f"{path} is missing. {fix}")
    sums_file = folder / "SHA256SUMS"
    if sums_file.exists():
        sums = dict(reversed(line.split()) for line in sums_file.read_text().splitlines() if line.strip())
        if path.name in sums and sums[path.name] != _sha256(path):
            raise DatasetError(f"{path} does not match its SHA-256 in {sums_file} (edited or corrupt). {fix}")
    return path


def load_csv_dataset(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(X float64 [N, D], y float64 [N]) from a course CSV whose last column is the label."""
    path = dataset_path(name, split)
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return data[:, :-1], data[:, -1]
