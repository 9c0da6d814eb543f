"""The figure audit (tests/notebooks/figure_audit.py) catches what it should, and every plotting helper of
utils/ passes it.  The notebooks' own figures are audited while the mutation harness runs each
notebook (tests/notebooks/test_mutations.py::test_reference_figures_have_titles_labels_legends)."""
from __future__ import annotations

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from tests.notebooks.figure_audit import audit_figure  # noqa: E402
from utils import OKABE_ITO, init_plots, nn_helpers, training  # noqa: E402
from utils.plotting import LossFunctionWithPlot, contour_with_path, learning_curve  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _good():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1, 2, 0], label="train")
    ax.plot([0, 1, 2], [2, 1, 1], label="test")
    ax.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax.legend()
    return fig, ax


def test_a_complete_figure_passes():
    assert audit_figure(_good()[0]) == []


@pytest.mark.parametrize("spoil, problem", [
    (lambda fig, ax: ax.set_title(""), "no title"),
    (lambda fig, ax: ax.set_xlabel(""), "panel 'Loss': no x label"),
    (lambda fig, ax: ax.set_ylabel(""), "panel 'Loss': no y label"),
    (lambda fig, ax: ax.get_legend().remove(), "panel 'Loss': 2 labelled series but no legend"),
    (lambda fig, ax: ax.lines[0].set_color("red"), "colours outside the Okabe-Ito palette and greys: #ff0000"),
    (lambda fig, ax: fig.colorbar(ax.imshow(np.eye(3), cmap="jet"), ax=ax),
     "colour maps that are not colour-blind safe: jet"),
    (lambda fig, ax: fig.colorbar(ax.imshow(np.eye(3)), ax=ax), "a colour bar has no label"),
])
def test_each_missing_piece_is_reported(spoil, problem):
    fig, ax = _good()
    spoil(fig, ax)
    assert problem in audit_figure(fig)


def test_unlabelled_series_and_untitled_panels_are_reported():
    fig, (a, b) = plt.subplots(1, 2)
    for ax in (a, b):
        ax.set(xlabel="x", ylabel="y")
    a.plot([0, 1, 2], [0, 1, 2])
    a.plot([0, 1, 2], [2, 1, 0])
    b.plot([0, 1], [0, 1])
    a.set_title("left")
    problems = audit_figure(fig)
    assert "no title (neither a suptitle nor a title on every panel)" in problems
    assert "panel 'left': 2 lines in 2 colours but no labels or legend" in problems
    fig.suptitle("both")
    assert "no title (neither a suptitle nor a title on every panel)" not in audit_figure(fig)


def test_shared_axes_twins_and_image_grids_are_not_flagged():
    fig, axes = plt.subplots(2, 2, sharex=True, sharey=True)
    for ax in axes.ravel():
        ax.plot([0, 1], [0, 1], color=OKABE_ITO[2])
    for ax in axes[1]:
        ax.set_xlabel("step")
    for ax in axes[:, 0]:
        ax.set_ylabel("value")
    twin = axes[0, 0].twinx()
    twin.plot([0, 1], [1, 0], color="grey")
    twin.set_ylabel("other value")
    fig.suptitle("grid")
    assert audit_figure(fig) == []
    fig, axes = plt.subplots(1, 3)
    for ax in axes:
        ax.imshow(np.random.default_rng(0).random((4, 4)), cmap="gray_r")
        ax.axis("off")
    fig.suptitle("samples")
    assert audit_figure(fig) == []


def _history(n=3):
    return {"train_loss": list(np.linspace(1, 0.5, n)), "val_loss": list(np.linspace(1.1, 0.6, n)),
            "train_acc": list(np.linspace(0.6, 0.9, n)), "val_acc": list(np.linspace(0.55, 0.88, n))}


def _helper_figures():
    rng = np.random.default_rng(0)
    yield "contour_with_path", contour_with_path(lambda X, Y: X ** 2 + Y ** 2, [1, 0.5, 0], [1, 0.2, 0]).figure
    yield "learning_curve", learning_curve([3, 2, 1], label="loss").figure
    L = LossFunctionWithPlot()
    x = L.initial_point()
    L(x).backward()
    L(x.detach() * 0.5)
    yield "LossFunctionWithPlot.plot_history", L.plot_history(grads=[x.grad.clone(), x.grad.clone() / 2])
    yield "LossFunctionWithPlot.plot_history (no grads)", L.plot_history()
    acts = [rng.normal(size=500), np.maximum(rng.normal(size=500), 0), np.zeros(500)]
    yield "activation_histograms", init_plots.activation_histograms(acts, title="three layers")
    yield "per_layer_lines", init_plots.per_layer_lines({"he": [1.0, 0.9], "zero": [0.0, 0.0]}, ylabel="std",
                                                        title="per layer", logy=True).figure
    yield "gradient_norm_plot", init_plots.gradient_norm_plot({"xavier": [1e-3, 1e-2], "he": [1e-2, 1e-1]},
                                                              activation="tanh").figure
    yield "show_images", training.show_images(rng.integers(0, 2, size=(10, 36)).astype(float),
                                              y=np.arange(10) % 2, n=10, title="ten")
    yield "show_digits", nn_helpers.show_digits(rng.random((16, 8, 8)), np.arange(16) % 10, n=16)
    yield "plot_learning_curves (one run)", nn_helpers.plot_learning_curves({"run": _history()})
    yield "plot_learning_curves (two runs)", nn_helpers.plot_learning_curves({"a": _history(), "b": _history()})
    runs = [training.RunResult(label=f"net {i}", train_loss=[0.7, 0.5], test_acc=[0.6, 0.8],
                               train_acc=[0.6, 0.85]) for i in range(2)]
    yield "plot_runs", training.plot_runs(runs, title="two runs")


@pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive")
def test_every_plotting_helper_passes_the_audit():
    torch.manual_seed(0)
    problems = {name: audit_figure(fig) for name, fig in _helper_figures()}
    assert len(problems) >= 12
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}
