"""Helpers for ps2's building blocks: the digits task, gradient reports, learning curves.

    x_train, y_train, x_val, y_val = load_digits_binary()   # 8x8 digits, 0-4 vs 5-9
    report_gradient("dL/dx", mine, finite_differences, autograd)
    plot_learning_curves({"lr 0.1": history})

Everything here is provided code: nothing the students write lives in this module.
"""
from __future__ import annotations

import numpy as np

from .plotting import OKABE_ITO

DIGITS_SEED = 0


def load_digits_binary(dtype=None, return_images: bool = False):
    """scikit-learn's 8x8 digits as a binary task: label 1 for digits 5-9, 0 for 0-4.

    A fixed 50/50 train/validation split (seeded permutation) and standardisation
    with the *training* mean and standard deviation (pixels that are constant in
    the training half are left unscaled).  Returns float64 tensors
    (x_train [N, 64], y_train [N], x_val, y_val); with return_images also the
    raw 8x8 images and digits of (train, val) as NumPy arrays.
    """
    import torch
    from sklearn.datasets import load_digits

    dtype = dtype or torch.float64
    digits = load_digits()
    x = digits.data.astype(np.float64)
    y = (digits.target >= 5).astype(np.float64)
    perm = np.random.default_rng(DIGITS_SEED).permutation(len(x))
    half = len(x) // 2
    tr, va = perm[:half], perm[half:]
    mean = x[tr].mean(0)
    std = x[tr].std(0)
    std[std == 0] = 1.0
    out = tuple(torch.tensor(a, dtype=dtype) for a in
                ((x[tr] - mean) / std, y[tr], (x[va] - mean) / std, y[va]))
    if return_images:
        return out + ((digits.images[tr], digits.target[tr]), (digits.images[va], digits.target[va]))
    return out


def show_digits(images, digits, n: int = 24, title: str = "8x8 digits (label: 1 if digit >= 5)"):
    """A grid of the first n images with their digit and binary label."""
    import matplotlib.pyplot as plt

    cols = 8
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3))
    for ax, img, d in zip(axes.ravel(), images[:n], digits[:n]):
        ax.imshow(img, cmap="gray_r")
        ax.set_title(f"{d} -> {int(d >= 5)}", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def max_rel_error(a, b) -> float:
    """max |a - b| / max(|a| + |b|, tiny) over all entries (tensors or arrays)."""
    a = np.asarray(a.detach() if hasattr(a, "detach") else a, dtype=np.float64)
    b = np.asarray(b.detach() if hasattr(b, "detach") else b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300)))


def report_gradient(name: str, mine, numeric, autograd) -> None:
    """Print how far a hand-derived gradient is from finite differences and autograd."""
    e_num, e_auto = max_rel_error(mine, numeric), max_rel_error(mine, autograd)
    verdict = "looks right" if max(e_num, e_auto) < 1e-6 else "CHECK YOUR DERIVATION"
    print(f"{name:<12} rel. error vs finite differences {e_num:9.2e}   vs autograd {e_auto:9.2e}   {verdict}")


def plot_learning_curves(histories: dict, title: str = "Learning curves"):
    """Loss and accuracy per epoch, one colour per run; train dashed, validation solid.

    histories: {label: history} with history a dict of lists train_loss,
    train_acc, val_loss, val_acc (one entry per epoch), as returned by fit.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    many = len(histories) > 1
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12.5 if many else 11, 4))
    run_handles = []
    for color, (label, h) in zip(OKABE_ITO * 3, histories.items()):
        epochs = np.arange(1, len(h["val_loss"]) + 1)
        for ax, key in ((ax_loss, "loss"), (ax_acc, "acc")):
            ax.plot(epochs, h[f"train_{key}"], "--", color=color)
            ax.plot(epochs, h[f"val_{key}"], "-", color=color, marker=".")
        run_handles.append(Line2D([], [], color=color, lw=3, label=label))
    ax_loss.set_ylabel("binary cross-entropy (log scale)")
    ax_loss.set_yscale("log")
    ax_loss.set_title("Loss")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_title("Accuracy")
    target = ax_acc.axhline(0.95, color="grey", lw=0.8, ls=":", label="target 0.95")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    style = [Line2D([], [], color="k", ls="--", label="train (mean over the epoch)"),
             Line2D([], [], color="k", ls="-", marker=".", label="validation (end of epoch)"), target]
    fig.suptitle(title)
    if many:
        fig.tight_layout(rect=(0, 0, 0.78, 1))
        fig.legend(handles=run_handles + style, loc="center left", bbox_to_anchor=(0.78, 0.5), fontsize=8)
    else:
        ax_acc.legend(handles=style, loc="lower right", fontsize=8)
        fig.tight_layout()
    return fig


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global random generators."""
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
