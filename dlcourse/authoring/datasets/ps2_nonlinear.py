"""ps2 (pytorch_basics): `moons`, two interleaved noisy half-circles in 2-D.

Class 0 is the upper arc (centre (0, 0), radius 1), class 1 the lower arc
(centre (1, 0.5), radius 1, opened downwards); each point gets isotropic
Gaussian noise.  The arcs hook into each other, so no straight line separates
them: logistic regression tops out around 0.87 accuracy, while a small
one-hidden-layer network reaches ~0.99.  Coordinates are shifted so the data
are roughly centred.  Train and test come from independent seeds (the test
split is unseen during training).
"""
from __future__ import annotations

import numpy as np

HEADER = ["x1", "x2", "label"]
NOISE = 0.12


def _moons(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    points = np.where(labels[:, None] == 0, upper, lower)
    points = points + rng.normal(0.0, NOISE, size=points.shape) - np.array([0.5, 0.25])
    return np.column_stack([points.round(6), labels.astype(np.float64)])


def moons() -> dict:
    return {"train": (HEADER, _moons(3000, seed=20240202)),
            "test": (HEADER, _moons(1000, seed=20240203))}


DATASETS = {"moons": moons}
