"""Figures for the weight-initialisation assignment (ps4).

    fig = activation_histograms(acts, title="tanh, Xavier init")   # one figure per initialisation
    ax = per_layer_lines({"xavier": norms, "he": norms2}, ylabel="||dL/dW||", logy=True)
    ax = gradient_norm_plot({"xavier": norms, ...}, activation="tanh")

`activation_histograms` draws a row of per-layer histograms on shared axes, so
layers compare at a glance, each with the standard normal density for
reference and its mean / standard deviation, and under the row a panel with
the mean and standard deviation across depth (two rows, so that the figure
stays readable when printed to a page-wide PDF).  Exact zeros (a dead ReLU unit, or every
unit of a zero-initialised network) are counted and reported in the panel
rather than drawn as an infinitely tall bar; the bars show the other values,
scaled so that all bars of a panel plus the zeros add up to one.
"""
from __future__ import annotations

import math

import numpy as np

from .plotting import OKABE_ITO, _axes


def _stats(a: np.ndarray) -> tuple[float, float, float]:
    a = np.asarray(a, dtype=np.float64).ravel()
    return float(a.mean()), float(a.std()), float(np.mean(a == 0.0))


def activation_histograms(acts, title: str = "Activations per layer", xlim=(-3.0, 3.0),
                          bins: int = 61, ymax: float = 1.2, reference: bool = True,
                          max_values: int = 200_000):
    """One figure: a histogram per layer (shared axes) plus mean / std across depth.

    acts:  list of per-layer activations (arrays or tensors of any shape).
    xlim:  the shared x range; values outside it are counted in the edge bins.
    ymax:  the shared density axis stops here; a taller bar (activations
           collapsed onto a spike) is clipped and its height written above it.
    max_values: each histogram is drawn from at most this many values per
           layer (the mean and std use them all), which keeps plotting fast.
    """
    import matplotlib.pyplot as plt

    arrays = [np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=np.float64).ravel()
              for a in acts]
    n = len(arrays)
    fig = plt.figure(figsize=(1.6 * n + 0.9, 5.8))
    grid = fig.add_gridspec(2, n, height_ratios=[1.0, 0.95], wspace=0.08, hspace=0.55)
    axes = [fig.add_subplot(grid[0, 0])]
    axes += [fig.add_subplot(grid[0, i], sharex=axes[0], sharey=axes[0]) for i in range(1, n)]
    edges = np.linspace(xlim[0], xlim[1], bins + 1)
    means, stds = [], []
    for layer, (ax, a) in enumerate(zip(axes, arrays), start=1):
        mean, std = _layer_panel(ax, a, layer, edges, ymax, max_values, reference)
        means.append(mean)
        stds.append(std)
    axes[0].set_xlim(*xlim)
    axes[0].set_ylim(0, ymax * 1.02)
    axes[0].set_ylabel("density", fontsize=9)
    handles = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="upper left", ncol=len(handles), fontsize=9,
               bbox_to_anchor=(0.05, 0.955), frameon=False)

    _summary_panel(fig, grid, means, stds)
    fig.suptitle(title, y=0.995, fontsize=12)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.09, top=0.84)
    return fig


def _layer_panel(ax, a: np.ndarray, layer: int, edges: np.ndarray, ymax: float, max_values: int,
                 reference: bool) -> tuple[float, float]:
    """One layer's histogram (clipped at ymax, exact zeros as a bar, N(0, 1) for reference); (mean, std)."""
    xlim = (edges[0], edges[-1])
    width = edges[1] - edges[0]
    mean, std, zeros = _stats(a)
    sample = a[:max_values]
    counts, _ = np.histogram(np.clip(sample[sample != 0.0], *xlim), bins=edges)
    density = counts / (max(sample.size, 1) * width)
    ax.stairs(np.minimum(density, ymax), edges, fill=True, color=OKABE_ITO[0], alpha=0.75,
              label="activations")
    if zeros > 0:
        ax.vlines(0.0, 0, ymax * zeros, color=OKABE_ITO[3], lw=2.5, label="exact zeros (height = share)")
    if reference:
        xs = np.linspace(*xlim, 300)
        ax.plot(xs, np.exp(-xs ** 2 / 2) / math.sqrt(2 * math.pi), color=OKABE_ITO[7], lw=1.0, ls="--",
                label="N(0, 1)")
    peak = density.max() if density.size else 0.0
    if peak > ymax:
        ax.annotate(f"peak {peak:.3g}\n(clipped)", xy=(edges[density.argmax()] + width / 2, ymax),
                    xytext=(0.5, 0.62), textcoords="axes fraction", ha="center", fontsize=8,
                    color=OKABE_ITO[3], arrowprops=dict(arrowstyle="->", color=OKABE_ITO[3], lw=0.8))
    text = f"mean {mean:+.2g}\nstd {std:.2g}"
    if zeros > 0:
        text += "\nall zero" if zeros == 1 else f"\nzeros {zeros:.0%}"
    ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", fontsize=8,
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8))
    ax.set_title(f"layer {layer}", fontsize=10)
    ax.set_xlabel("activation", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(False)
    if layer > 1:
        ax.tick_params(labelleft=False)
    return mean, std


def _summary_panel(fig, grid, means: list, stds: list) -> None:
    """Mean and std by layer, under the row of histograms."""
    n = len(means)
    span = max(n // 2 + 1, min(n, 3))   # centred under the row, about half its width
    lo = (n - span) // 2
    summary = fig.add_subplot(grid[1, lo:lo + span])
    layers = np.arange(1, n + 1)
    summary.plot(layers, stds, "o-", color=OKABE_ITO[1], label="std")
    summary.plot(layers, means, "s--", color=OKABE_ITO[2], label="mean")
    summary.axhline(1.0, color=OKABE_ITO[7], lw=0.8, ls=":", label="std of N(0, 1)")
    summary.set_xticks(layers)
    summary.set_ylim(min(-0.05, min(means) * 1.1), max(1.1, max(stds) * 1.1, max(means) * 1.1))
    summary.set_xlabel("layer", fontsize=9)
    summary.set_ylabel("activation mean and std", fontsize=9)
    summary.set_title("mean and std by layer", fontsize=10)
    summary.tick_params(labelsize=8)
    summary.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)


def per_layer_lines(values: dict, ylabel: str, title: str, logy: bool = False, ax=None,
                    xlabel: str = "layer"):
    """One line per entry of {label: per-layer values}, layer 1 .. L on the x axis.

    With logy, values that are exactly zero cannot be drawn; such an entry is
    kept in the legend, marked "(all zero)" or "(zeros not drawn)".
    """
    ax = _axes(ax, (7.0, 4.2))
    markers = "os^vDP*X"
    styles = ["-", "--", "-.", ":"]   # lines that coincide stay visible
    for i, (label, vals) in enumerate(values.items()):
        v = np.array([float(x) for x in vals], dtype=np.float64)
        layers = np.arange(1, len(v) + 1)
        if logy and (v <= 0).any():
            label = f"{label} (all zero)" if (v <= 0).all() else f"{label} (zeros not drawn)"
            v = np.where(v > 0, v, np.nan)
        ax.plot(layers, v, marker=markers[i % len(markers)], label=label, ls=styles[i % len(styles)],
                color=OKABE_ITO[i % len(OKABE_ITO)])
        ax.set_xticks(layers)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def gradient_norm_plot(norms: dict, activation: str = "", ax=None):
    """Per-layer weight-gradient norms ||dL/dW_l|| for several initialisations (log scale)."""
    where = f" ({activation} network)" if activation else ""
    return per_layer_lines(norms, ylabel=r"$\|\partial L / \partial W_l\|$ (log scale)",
                           title=f"Weight-gradient norm by layer{where}", logy=True, ax=ax)
