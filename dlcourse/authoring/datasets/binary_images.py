"""6x6 binary images labelled by a hidden rule (ps3 and ps4).

Every pixel is on with probability 1/2, independently; the image is flattened
row by row into the 36 columns p0..p35 and the label (0 or 1) comes last.
8000 training and 1000 test images, exactly half of each class.

The rules (instructors only; students do not receive tools/):

* tiny-classification: compare the number of lit pixels in the top half with
  the bottom half, and in the left half with the right half; the label is 1
  when exactly one of "top > bottom" and "left > right" holds (an XOR of two
  linear comparisons, so no linear model beats chance).  Images with a tie in
  either comparison are never drawn.
* hard-classification: the same two comparisons plus a third, "the black
  squares of a checkerboard (row + column even) hold more lit pixels than the
  white ones"; the label is the parity (XOR) of all three.  Ties are never drawn.

A network trained on the first has already learnt two of the three features the
second needs, which is what the ps3 extra credit (transfer) builds on.
"""
from __future__ import annotations

import numpy as np

SIZE = 6
N_TRAIN, N_TEST = 8000, 1000
HEADER = [f"p{i}" for i in range(SIZE * SIZE)] + ["label"]


def _comparisons(images: np.ndarray) -> list[np.ndarray]:
    """Signed differences (top - bottom, left - right, checker-even - checker-odd)."""
    half = SIZE // 2
    top_bottom = images[:, :half].sum((1, 2)) - images[:, half:].sum((1, 2))
    left_right = images[:, :, :half].sum((1, 2)) - images[:, :, half:].sum((1, 2))
    rows, cols = np.indices((SIZE, SIZE))
    even = (rows + cols) % 2 == 0
    checker = (images * even).sum((1, 2)) - (images * ~even).sum((1, 2))
    return [top_bottom, left_right, checker]


def _rule(n_features: int):
    def label(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        diffs = _comparisons(images)[:n_features]
        valid = np.all([d != 0 for d in diffs], axis=0)
        bits = np.sum([d > 0 for d in diffs], axis=0) % 2
        return bits.astype(np.int64), valid
    return label


def _draw(rule, n: int, rng: np.random.Generator) -> np.ndarray:
    """n rows (36 pixels + label), exactly n/2 of each class, shuffled."""
    per_class = {0: [], 1: []}
    while min(len(v) for v in per_class.values()) < n // 2:
        images = (rng.random((4 * n, SIZE, SIZE)) < 0.5).astype(np.int64)
        labels, valid = rule(images)
        for c in (0, 1):
            per_class[c].extend(images[valid & (labels == c)].reshape(-1, SIZE * SIZE))
    rows = np.concatenate([np.column_stack([np.array(per_class[c][: n // 2]), np.full(n // 2, c)])
                           for c in (0, 1)])
    return rows[rng.permutation(n)]


def _dataset(n_features: int, seed: int):
    def make() -> dict:
        rng = np.random.default_rng(seed)
        rule = _rule(n_features)
        train = _draw(rule, N_TRAIN, rng)
        test = _draw(rule, N_TEST, rng)
        return {"train": (HEADER, train), "test": (HEADER, test)}
    return make


DATASETS = {
    "tiny-classification": _dataset(2, seed=20240603),
    "hard-classification": _dataset(3, seed=20240604),
}
