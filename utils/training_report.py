"""The figures and the table of training runs (utils/training.py's RunResult): learning curves and
final accuracies side by side, gradient norms at initialisation per layer, a summary DataFrame."""
from __future__ import annotations

import numpy as np

from .plotting import OKABE_ITO


def plot_runs(results, title: str = "Training runs"):
    """Training loss, test accuracy per epoch, and final train/test accuracy, side by side."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.0))
    colors = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(results))]
    for r, c in zip(results, colors):
        ep = np.arange(1, len(r.train_loss) + 1)
        axes[0].plot(ep, r.train_loss, "-o", ms=3, color=c, label=r.label)
        axes[1].plot(ep, r.test_acc, "-o", ms=3, color=c, label=r.label)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("mean training loss (log scale)")
    axes[0].set_title("Learning curves")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("test accuracy")
    axes[1].set_ylim(0.4, 1.02)
    axes[1].axhline(0.5, color="grey", ls=":", lw=1, label="chance")
    axes[1].set_title("Test accuracy")
    x = np.arange(len(results))
    w = 0.38
    axes[2].bar(x - w / 2, [r.final_train_acc for r in results], w, color=OKABE_ITO[5], label="train")
    axes[2].bar(x + w / 2, [r.final_test_acc for r in results], w, color=OKABE_ITO[1], label="test",
                hatch="//", edgecolor="k", linewidth=0.3)
    axes[2].set_xticks(x, [r.label for r in results], rotation=20 if len(results) > 3 else 0,
                       ha="right" if len(results) > 3 else "center", fontsize=8)
    axes[2].set_ylim(0.4, 1.02)
    axes[2].axhline(0.5, color="grey", ls=":", lw=1)
    axes[2].set_xlabel("run")
    axes[2].set_ylabel("final accuracy")
    axes[2].set_title("Final accuracy")
    from matplotlib.ticker import MaxNLocator
    for ax in axes[:2]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes:
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()
    return fig


def summary_table(results):
    """A pandas DataFrame: one row per run (parameters, accuracies, seconds; with gradient norms
    at initialisation, those of the first and the last Linear layer)."""
    import pandas as pd

    rows = []
    for r in results:
        row = {"run": r.label, "parameters": r.parameters,
               "final loss": round(r.train_loss[-1], 4) if r.train_loss else float("nan"),
               "train acc": round(r.final_train_acc, 3), "test acc": round(r.final_test_acc, 3),
               "seconds": round(r.seconds, 1)}
        if r.grad_norms:
            row["init grad (first layer)"] = f"{r.grad_norms[0]:.1e}"
            row["init grad (last layer)"] = f"{r.grad_norms[-1]:.1e}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("run")


def plot_gradient_norms(results, title: str = "Gradient norms at initialisation"):
    """Per-layer weight-gradient norms at initialisation (log scale), one line per run."""
    import matplotlib.pyplot as plt

    from .init_plots import per_layer_lines

    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    per_layer_lines({r.label: r.grad_norms for r in results if r.grad_norms},
                    ylabel=r"$\|\partial L / \partial W\|$ (log scale)", title=title, logy=True, ax=ax,
                    xlabel="Linear layer (1 = input layer)")
    depth = max(len(r.grad_norms) for r in results)
    ax.set_xticks(np.arange(1, depth + 1))
    fig.tight_layout()
    plt.show()
    return fig
