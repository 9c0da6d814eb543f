"""The course's small datasets: CSV files under datasets/<name>/, checksummed.

    path = dataset_path("moons", "train")          # datasets/moons/train.csv, verified
    X, y = load_csv_dataset("tiny-classification", "train")   # float64 features, labels

Each dataset folder holds train.csv, test.csv (header row, label last) and
SHA256SUMS; dlcourse/authoring/datasets/ generates them deterministically.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .checksums import read_sums, sha256
from .paths import datasets_dir


class DatasetError(RuntimeError):
    """A course dataset is missing or corrupt; the message says how to fix it."""


def dataset_path(name: str, split: str = "train") -> Path:
    """Verified path of datasets/<name>/<split>.csv."""
    folder = datasets_dir() / name
    path = folder / f"{split}.csv"
    fix = ("These files come with the course: restore them with `git checkout datasets/` "
           "or regenerate them with `python -m dlcourse.authoring.datasets`.")
    if not path.exists():
        raise DatasetError(f"{path} is missing. {fix}")
    sums_file = folder / "SHA256SUMS"
    if not sums_file.exists():
        raise DatasetError(f"{sums_file} is missing, so {path.name} cannot be verified. {fix}")
    try:
        expected = read_sums(sums_file).get(path.name)
    except ValueError as e:
        raise DatasetError(f"{e}. {fix}") from None
    if expected is None:
        raise DatasetError(f"{path.name} is not listed in {sums_file}, so it cannot be verified. {fix}")
    if sha256(path) != expected:
        raise DatasetError(f"{path} does not match its SHA-256 in {sums_file} (edited or corrupt). {fix}")
    return path


def load_csv_dataset(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(X float64 [N, D], y float64 [N]) from a course CSV whose last column is the label."""
    path = dataset_path(name, split)
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return data[:, :-1], data[:, -1]
