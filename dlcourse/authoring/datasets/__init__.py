"""Deterministic generators of the course's small datasets.

Each module here defines DATASETS = {name: function() -> {"train": (header, rows), "test": ...}}
where rows is a 2-D array whose last column is the label.  `python -m
dlcourse.authoring.datasets` writes datasets/<name>/{train,test}.csv and SHA256SUMS; the tests
check that regenerating gives byte-identical files.  The generators (and so
the hidden rules) live here in dlcourse/authoring/, which students do not receive.
"""
from __future__ import annotations

import hashlib
import importlib
import pkgutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]


def generators() -> dict:
    out = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        out.update(module.DATASETS)
    return out


def to_csv(header: list[str], rows: np.ndarray, label_int: bool = True) -> str:
    lines = [",".join(header)]
    for row in rows:
        feats = [f"{v:.6f}" if not float(v).is_integer() else str(int(v)) for v in row[:-1]]
        label = str(int(row[-1])) if label_int else f"{row[-1]:.6f}"
        lines.append(",".join(feats + [label]))
    return "\n".join(lines) + "\n"


def render(name: str) -> dict[str, str]:
    """{file name: text} for one dataset (train.csv, test.csv, SHA256SUMS)."""
    splits = generators()[name]()
    files = {f"{split}.csv": to_csv(header, rows) for split, (header, rows) in splits.items()}
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(t.encode()).hexdigest()}  {f}\n"
                                  for f, t in sorted(files.items()))
    return files


def write_all(dest: Path | None = None) -> None:
    dest = dest or ROOT / "datasets"
    for name in generators():
        folder = dest / name
        folder.mkdir(parents=True, exist_ok=True)
        for fname, text in render(name).items():
            (folder / fname).write_text(text)
        print(f"wrote {folder}")


def main(argv=None) -> int:
    """`dlcourse datasets`: regenerate datasets/<name>/ for every generator."""
    write_all()
    return 0
