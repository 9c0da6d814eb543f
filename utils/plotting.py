"""Plotting helpers shared by the notebooks.

All figures use the Okabe-Ito colour-blind-safe palette (set by
`use_course_style`, called when `utils` is imported), carry a title,
labelled axes and a legend wherever more than one line is drawn.
"""
from __future__ import annotations

import numpy as np

# Okabe & Ito (2008), safe for the common forms of colour blindness.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_course_style() -> None:
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "figure.figsize": (7.0, 4.2),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titlesize": 12,
        "image.cmap": "viridis",
        "legend.framealpha": 0.85,
    })


def _axes(ax, figsize=None):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


# size: plotting options for the notebooks, each a keyword with a default
def contour_with_path(f, x_hist=None, y_hist=None, xlim=(-4, 4), ylim=(-4, 4), ax=None,
                      title="Contours of f with the optimisation path", levels=30, label="path",
                      zlabel="f(x, y)"):
    """Filled contours of f(x, y) (vectorised over arrays) with an optional path on top."""
    ax = _axes(ax, (6, 5))
    xs = np.linspace(*xlim, 300)
    ys = np.linspace(*ylim, 300)
    X, Y = np.meshgrid(xs, ys)
    Z = f(X, Y)
    cs = ax.contourf(X, Y, Z, levels=levels, cmap="viridis")
    ax.contour(X, Y, Z, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(cs, ax=ax, label=zlabel)
    if x_hist is not None:
        add_path(ax, x_hist, y_hist, label=label)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.grid(False)
    return ax


def add_path(ax, x_hist, y_hist, label="path", color=OKABE_ITO[1]):
    """Draw an optimisation path (start marked with a circle, end with a star)."""
    x_hist, y_hist = np.asarray(x_hist, float), np.asarray(y_hist, float)
    ax.plot(x_hist, y_hist, ".-", color=color, lw=1.2, ms=3, label=label)
    ax.plot(x_hist[:1], y_hist[:1], "o", color="white", mec="k", ms=7, label="start")
    ax.plot(x_hist[-1:], y_hist[-1:], "*", color=color, mec="k", ms=13, label="end")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def learning_curve(values, ax=None, label=None, title="Learning curve", xlabel="step",
                   ylabel="loss", logy=False):
    """Plot one curve of a value per step/epoch (call again with the same ax for more)."""
    ax = _axes(ax)
    ax.plot(np.arange(len(values)), np.asarray(values, float), label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if label is not None:
        ax.legend()
    return ax


class LossFunctionWithPlot:
    """An ill-conditioned quadratic bowl that remembers where it was evaluated.

        L(x) = 1/2 * sum_i curvature_i * x_i**2        (x a torch tensor of shape [2])

    With curvatures (1, 20) the bowl is 20 times steeper along x2 than along
    x1: a single learning rate small enough for x2 is painfully slow along x1.
    Every call records x (detached) and the loss, so after an optimisation
    run `plot_history()` draws the path on the contours and the loss curve;
    give it the gradients you collected to also see their traces with running
    mean and RMS.
    """

    def __init__(self, curvatures=(1.0, 20.0), start=(-8.0, 2.0)):
        import torch

        self.curvatures = torch.tensor(curvatures, dtype=torch.float64)
        self.start = torch.tensor(start, dtype=torch.float64)
        self.history: list = []
        self.losses: list[float] = []

    def initial_point(self):
        """A fresh leaf tensor at the start point, with requires_grad=True."""
        return self.start.clone().requires_grad_(True)

    def reset(self) -> None:
        self.history.clear()
        self.losses.clear()

    def value(self, x):
        """The loss without recording (for plotting)."""
        return 0.5 * (self.curvatures.to(x.dtype) * x ** 2).sum(-1)

    def __call__(self, x):
        loss = self.value(x)
        self.history.append(x.detach().clone().double().numpy())
        self.losses.append(float(loss.detach()))
        return loss

    def _np_value(self, X, Y):
        c = self.curvatures.numpy()
        return 0.5 * (c[0] * X ** 2 + c[1] * Y ** 2)

    def plot_history(self, grads=None, title="Gradient descent on the ill-conditioned bowl"):
        """Contours + path, loss curve (log scale), and optional gradient traces.

        grads: sequence of per-step gradients (each of shape [2]); when given, a
        third panel shows each component with its running mean and RMS.
        """
        import matplotlib.pyplot as plt

        n = 3 if grads is not None else 2
        fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.2))
        pts = np.array(self.history) if self.history else np.zeros((0, 2))
        lim = max(8.5, float(np.abs(pts).max()) * 1.1) if len(pts) else 8.5
        contour_with_path(self._np_value, pts[:, 0] if len(pts) else None,
                          pts[:, 1] if len(pts) else None,
                          xlim=(-lim, lim), ylim=(-lim / 2, lim / 2), ax=axes[0],
                          title="Path on the contours of L", zlabel="L(x)")
        axes[0].set_xlabel("$x_1$ (low curvature)")
        axes[0].set_ylabel("$x_2$ (high curvature)")
        # Floor at 1e-16 so a loss that reaches exactly 0 stays on the log axis.
        losses = np.maximum(np.array(self.losses, float), 1e-16)
        axes[1].semilogy(losses, color=OKABE_ITO[0], label="loss")
        axes[1].set_xlabel("evaluation")
        axes[1].set_ylabel("L(x) (log scale)")
        axes[1].set_title("Loss per evaluation")
        axes[1].legend()
        if grads is not None:
            g = np.array([np.asarray(gi.detach() if hasattr(gi, "detach") else gi, float) for gi in grads])
            steps = np.arange(1, len(g) + 1)
            mean = np.cumsum(g, 0) / steps[:, None]
            rms = np.sqrt(np.cumsum(g ** 2, 0) / steps[:, None])
            for d, (color, name) in enumerate(zip(OKABE_ITO[:2], ["$x_1$", "$x_2$"])):
                axes[2].plot(steps, g[:, d], color=color, alpha=0.35, label=f"grad {name}")
                axes[2].plot(steps, mean[:, d], color=color, lw=2, label=f"running mean {name}")
                axes[2].plot(steps, rms[:, d], color=color, lw=2, ls="--", label=f"running RMS {name}")
            axes[2].set_yscale("symlog", linthresh=1e-2)
            axes[2].set_xlabel("step")
            axes[2].set_ylabel("gradient component")
            axes[2].set_title("Gradients: raw, mean and RMS")
            axes[2].legend(fontsize=7, ncol=2)
        fig.suptitle(title)
        fig.tight_layout()
        return fig
