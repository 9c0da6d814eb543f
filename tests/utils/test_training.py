"""Unit tests of the training and plotting helpers the notebooks import.

utils/training.py (ps3, ps4: Supervise, run_test, accuracy, optimizer_trajectory, ...),
utils/nn_helpers.py (ps2: the digits task, gradient reports, learning curves) and
utils/init_plots.py (ps4: activation histograms, per-layer lines).  Small and fast:
tiny networks, a few hundred examples, one or two epochs.
"""
from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from utils import init_plots, nn_helpers, training
from utils import testing


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class ModeRecorder(nn.Module):
    """A tiny sigmoid network that remembers in which mode each forward pass ran."""

    def __init__(self, d_in=36, squeeze=False):
        super().__init__()
        self.lin = nn.Linear(d_in, 1)
        self.squeeze = squeeze
        self.modes: list[bool] = []

    def forward(self, x):
        self.modes.append(self.training)
        out = torch.sigmoid(self.lin(x))
        return out.squeeze(-1) if self.squeeze else out


class RecordingCriterion(nn.Module):
    """BCE that records the shapes it was called with."""

    def __init__(self):
        super().__init__()
        self.shapes = []

    def forward(self, out, y):
        self.shapes.append((tuple(out.shape), tuple(y.shape)))
        return nn.functional.binary_cross_entropy(out, y)


# -- Supervise -------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("squeeze", [False, True])
def test_supervise_is_criterion_of_squeezed_output(n, squeeze):
    torch.manual_seed(n)
    net = ModeRecorder(5, squeeze=squeeze)
    crit = RecordingCriterion()
    x, y = torch.randn(n, 5), (torch.rand(n) < 0.5).float()
    model = training.Supervise(crit, net)
    loss = model(x, y)
    assert model.net is net and model.criterion is crit
    # the criterion sees [N] against [N] -- also for N = 1 (squeeze(-1), not squeeze())
    assert crit.shapes == [((n,), (n,))]
    expected = nn.functional.binary_cross_entropy(torch.sigmoid(net.lin(x)).reshape(n), y)
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-6)
    # gradients flow to the network's parameters through the wrapper
    loss.backward()
    assert net.lin.weight.grad is not None and float(net.lin.weight.grad.abs().sum()) > 0
    assert {id(p) for p in model.parameters()} == {id(p) for p in net.parameters()}


# -- accuracy ----------------------------------------------------------------------------

@pytest.mark.parametrize("start_training", [True, False])
def test_accuracy_counts_in_eval_mode_and_restores_the_mode(start_training):
    net = ModeRecorder(2)
    with torch.no_grad():
        net.lin.weight.copy_(torch.tensor([[1.0, 0.0]]))
        net.lin.bias.zero_()
    net.train(start_training)
    X = torch.tensor([[2.0, 0.0], [-1.0, 5.0], [0.5, -3.0], [-2.0, 1.0], [3.0, 3.0]])
    y = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0])   # predictions: 1, 0, 1, 0, 1 -> 3 of 5 right
    acc = training.accuracy(net, X, y)
    assert acc == pytest.approx(0.6)
    assert net.modes == [False], "accuracy must evaluate in eval mode (BatchNorm, Dropout)"
    assert net.training is start_training, "accuracy must restore the mode it found"


def test_accuracy_evaluates_in_the_networks_dtype():
    net = ModeRecorder(3).double()
    X = torch.randn(10, 3)                          # float32 data, float64 network
    y = (torch.rand(10) < 0.5).float()
    acc = training.accuracy(net, X, y)
    with torch.no_grad():
        pred = (torch.sigmoid(net.lin(X.double())).squeeze(-1) > 0.5).float()
    assert acc == pytest.approx(float((pred == y).float().mean()))


# -- run_test ----------------------------------------------------------------------------

def test_run_test_records_the_true_mean_loss_and_accuracies():
    """With a learning rate of 0 the network never changes, so each epoch's mean loss is
    the loss on all n_train examples and the accuracies are those of the initial network;
    this holds only if every example is used once per epoch and losses are weighted by
    batch size."""
    torch.manual_seed(0)
    net = ModeRecorder()
    before = [p.detach().clone() for p in net.parameters()]
    res = training.run_test(net, lambda p: torch.optim.SGD(p, lr=0.0), epochs=2, batch_size=64,
                            n_train=200, plot=False, label="frozen")
    X, y, Xt, yt = training.load_binary_images("tiny-classification")
    assert all(torch.equal(a, b.detach()) for a, b in zip(before, net.parameters()))
    assert res.label == "frozen" and res.parameters == 37
    assert len(res.train_loss) == len(res.train_acc) == len(res.test_acc) == 2
    with torch.no_grad():
        full = float(nn.functional.binary_cross_entropy(net.lin(X[:200]).sigmoid().squeeze(-1), y[:200]))
    assert res.train_loss == pytest.approx([full, full], rel=1e-5)
    assert res.final_train_acc == pytest.approx(training.accuracy(net, X[:200], y[:200]))
    assert res.final_test_acc == pytest.approx(training.accuracy(net, Xt, yt))
    assert res.seconds > 0


def test_run_test_trains_in_train_mode_and_evaluates_in_eval_mode():
    torch.manual_seed(1)
    net = ModeRecorder()
    net.eval()                                      # run_test must switch to training itself
    res = training.run_test(net, lambda p: torch.optim.Adam(p, lr=0.05), epochs=3, batch_size=50,
                            n_train=300, plot=False)
    train_passes = net.modes.count(True)
    assert train_passes == 3 * 6, "one training forward per minibatch (300 / 50 = 6 per epoch)"
    assert net.modes.count(False) == 3 * 2, "train and test accuracy in eval mode after each epoch"
    assert net.training, "run_test leaves the network in training mode"
    assert res.train_loss[-1] < res.train_loss[0], "Adam on a linear model should lower the loss"


def test_run_test_zero_grad_before_backward():
    """Gradients must not accumulate across minibatches: an optimizer whose zero_grad is
    never called by run_test would make every step larger than the last."""
    calls = []

    class Logging(torch.optim.SGD):
        def zero_grad(self, set_to_none=True):
            calls.append("zero")
            super().zero_grad(set_to_none)

        def step(self, closure=None):
            calls.append("step")
            return super().step(closure)

    torch.manual_seed(2)
    training.run_test(ModeRecorder(), lambda p: Logging(p, lr=0.1), epochs=1, batch_size=100,
                      n_train=300, plot=False)
    assert calls == ["zero", "step"] * 3


def test_run_grid_is_reproducible_and_labels_its_runs():
    configs = {"a": lambda: training.make_mlp([8], nn.ReLU), "b": lambda: training.make_mlp([8], nn.ReLU)}
    results = training.run_grid(configs, lambda p: torch.optim.SGD(p, lr=0.1), title="grid",
                                epochs=1, n_train=128, batch_size=32)
    assert list(results) == ["a", "b"]
    assert results["a"].label == "a"
    # the same seed before every run: identical configurations give identical runs
    assert results["a"].train_loss == results["b"].train_loss
    table = training.summary_table(list(results.values()))
    assert list(table.index) == ["a", "b"] and table.loc["a", "parameters"] == 36 * 8 + 8 + 8 + 1


def test_run_grid_needs_an_optimizer():
    with pytest.raises(ValueError, match="no optimizer"):
        training.run_grid({"x": lambda: training.make_mlp([4])}, epochs=1, n_train=16)


# -- make_mlp ----------------------------------------------------------------------------

def test_make_mlp_structure():
    net = training.make_mlp([16, 8], nn.Tanh, batchnorm=True)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Linear, nn.Sigmoid]
    assert training.count_parameters(net) == (36 * 16 + 16) + 2 * 16 + (16 * 8 + 8) + 2 * 8 + (8 + 1)
    assert tuple(net.eval()(torch.rand(4, 36)).shape) == (4, 1)


# -- optimizer_trajectory ----------------------------------------------------------------

class Capture:
    """An optimizer wrapper that records the parameters and the gradients it sees."""

    def __init__(self, params, inner):
        self.params = list(params)
        self.start = [p.detach().clone() for p in self.params]
        self.grads = []
        self.inner = inner(self.params)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.grads.append([None if p.grad is None else p.grad.clone() for p in self.params])
        self.inner.step()


def test_optimizer_trajectory_records_sgd_steps():
    lr = 0.07
    captured = {}

    def make(params):
        captured["opt"] = Capture(params, lambda ps: torch.optim.SGD(ps, lr=lr))
        return captured["opt"]

    hist = training.optimizer_trajectory(make, steps=6, seed=3)
    opt = captured["opt"]
    sizes = [p.numel() for p in opt.params]
    assert hist.shape == (6, sum(sizes)) and hist.dtype == np.float64
    assert len(opt.params) == 4 and all(p.dtype == torch.float64 for p in opt.params)
    # row 0 is the point after the first step: p0 - lr * g0; the frozen parameter never moves
    start = np.concatenate([p.numpy().ravel() for p in opt.start])
    g0 = [g for g in opt.grads[0]]
    assert g0[-1] is None, "the frozen parameter must receive no gradient"
    step0 = np.concatenate([(-lr * g).numpy().ravel() for g in g0[:-1]] + [np.zeros(sizes[-1])])
    np.testing.assert_allclose(hist[0], start + step0, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(hist[:, -sizes[-1]:], np.tile(start[-sizes[-1]:], (6, 1)))
    # consecutive rows differ by -lr * gradient at the previous row
    for t in range(1, 6):
        step = np.concatenate([(-lr * g).numpy().ravel() for g in opt.grads[t][:-1]])
        np.testing.assert_allclose(hist[t, :-sizes[-1]], hist[t - 1, :-sizes[-1]] + step, rtol=1e-12, atol=1e-15)


def test_optimizer_trajectory_matches_a_hand_written_sgd_and_scales_gradients():
    class PlainSGD:
        def __init__(self, params, lr):
            self.params, self.lr = list(params), lr

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for p in self.params:
                if p.grad is not None:
                    p -= self.lr * p.grad

    ours = training.optimizer_trajectory(lambda ps: PlainSGD(ps, 0.05), steps=20, seed=7)
    ref = training.optimizer_trajectory(lambda ps: torch.optim.SGD(ps, lr=0.05), steps=20, seed=7)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)
    # SGD is linear in the gradient: lr 0.01 on gradients x 5 equals lr 0.05
    scaled = training.optimizer_trajectory(lambda ps: torch.optim.SGD(ps, lr=0.01), steps=20, seed=7,
                                           grad_scale=5.0)
    np.testing.assert_allclose(scaled, ref, rtol=1e-10, atol=1e-12)
    # a different seed is a different problem; frozen=False drops the extra parameter
    other = training.optimizer_trajectory(lambda ps: torch.optim.SGD(ps, lr=0.05), steps=20, seed=8)
    assert np.abs(other - ref).max() > 1e-3
    free = training.optimizer_trajectory(lambda ps: torch.optim.SGD(ps, lr=0.05), steps=20, seed=7, frozen=False)
    assert free.shape[1] == ref.shape[1] - 2


def test_optimizer_trajectory_hints_when_zero_grad_trips_over_none():
    class NoNoneCheck(torch.optim.SGD):
        def zero_grad(self, set_to_none=True):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad.zero_()

    with pytest.raises(testing.TestFailure, match=r"\.grad is None until the first backward"):
        training.optimizer_trajectory(lambda ps: NoNoneCheck(ps, lr=0.1), steps=2)


# -- plots -------------------------------------------------------------------------------

def _labelled(ax):
    return bool(ax.get_title()) and bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def test_plot_runs_draws_three_labelled_panels_with_legends():
    runs = [training.RunResult("a", [0.7, 0.5], [0.6, 0.8], [0.55, 0.75]),
            training.RunResult("b", [0.69, 0.6], [0.5, 0.7], [0.5, 0.65])]
    fig = training.plot_runs(runs, title="two runs")
    assert len(fig.axes) == 3 and fig._suptitle.get_text() == "two runs"
    assert all(_labelled(ax) for ax in fig.axes[:2])
    assert fig.axes[2].get_title() and fig.axes[2].get_ylabel()
    assert fig.axes[0].get_yscale() == "log"
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["a", "b"]
    assert [t.get_text() for t in fig.axes[2].get_xticklabels()] == ["a", "b"]


def test_plot_learning_curves_labels_axes_and_legends():
    h = {"train_loss": [0.7, 0.4, 0.3], "train_acc": [0.5, 0.8, 0.9],
         "val_loss": [0.72, 0.5, 0.45], "val_acc": [0.5, 0.75, 0.85]}
    fig = nn_helpers.plot_learning_curves({"": h}, title="one run")
    ax_loss, ax_acc = fig.axes
    assert _labelled(ax_loss) and _labelled(ax_acc)
    assert ax_loss.get_xlabel() == ax_acc.get_xlabel() == "epoch"
    assert len(ax_loss.get_lines()) == 2                   # train dashed + validation solid
    assert ax_acc.get_legend() is not None                  # train / validation / target
    fig = nn_helpers.plot_learning_curves({"lr 0.1": h, "lr 1": h}, title="two runs")
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) == 4
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert "lr 0.1" in texts and "lr 1" in texts


def test_activation_histograms_one_panel_per_layer_plus_summary():
    rng = np.random.default_rng(0)
    acts = [rng.normal(size=500), np.maximum(rng.normal(size=500), 0), np.zeros(500)]
    fig = init_plots.activation_histograms(acts, title="three layers")
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:3]] == ["layer 1", "layer 2", "layer 3"]
    assert all(ax.get_xlabel() == "activation" for ax in fig.axes[:3])
    assert fig.axes[0].get_ylabel() == "density"
    summary = fig.axes[3]
    assert summary.get_title() and summary.get_xlabel() == "layer"
    stds = next(line for line in summary.get_lines() if line.get_label() == "std").get_ydata()
    np.testing.assert_allclose(stds, [a.std() for a in acts], rtol=1e-12)
    assert "zero" in " ".join(t.get_text() for t in fig.axes[2].texts)     # the all-zero layer is reported
    assert fig._suptitle.get_text() == "three layers"


def test_per_layer_lines_and_gradient_norm_plot():
    ax = init_plots.per_layer_lines({"he": [1.0, 0.9, 1.1], "zero": [0.0, 0.0, 0.0]}, ylabel="std",
                                    title="per layer", logy=True)
    assert _labelled(ax) and ax.get_xlabel() == "layer" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["he", "zero (all zero)"]
    assert list(ax.get_xticks()) == [1, 2, 3]
    colors = [matplotlib.colors.to_hex(line.get_color()) for line in ax.get_lines()]
    assert colors == [c.lower() for c in init_plots.OKABE_ITO[:2]]
    ax = init_plots.gradient_norm_plot({"xavier": [1e-3, 1e-2]}, activation="tanh")
    assert "tanh" in ax.get_title() and ax.get_yscale() == "log" and ax.get_ylabel()


def test_show_images_and_show_digits_draw_grids():
    X = np.random.default_rng(1).integers(0, 2, size=(10, 36)).astype(float)
    fig = training.show_images(X, y=np.arange(10) % 2, n=10, title="ten")
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titled) == 10 and titled[1] == "label 1" and fig._suptitle.get_text() == "ten"
    images = np.zeros((5, 8, 8))
    fig = nn_helpers.show_digits(images, np.array([0, 4, 5, 9, 7]), n=5)
    assert [ax.get_title() for ax in fig.axes[:5]] == ["0 -> 0", "4 -> 0", "5 -> 1", "9 -> 1", "7 -> 1"]


# -- nn_helpers --------------------------------------------------------------------------

def test_load_digits_binary_split_and_standardisation():
    x_tr, y_tr, x_va, y_va, (img_tr, dig_tr), (img_va, dig_va) = nn_helpers.load_digits_binary(return_images=True)
    assert x_tr.shape == (898, 64) and x_va.shape == (899, 64) and x_tr.dtype == torch.float64
    assert torch.equal(y_tr, torch.tensor((dig_tr >= 5).astype(float))) and set(y_va.tolist()) == {0.0, 1.0}
    np.testing.assert_allclose(x_tr.mean(0).numpy(), 0.0, atol=1e-12)
    std = x_tr.std(0, unbiased=False).numpy()
    assert np.all((np.abs(std - 1) < 1e-9) | (std == 0))      # constant pixels left at 0
    # standardised with the training statistics: the raw validation images map back
    raw_tr = img_tr.reshape(len(img_tr), -1)
    m, s = raw_tr.mean(0), raw_tr.std(0)
    s[s == 0] = 1.0
    np.testing.assert_allclose(x_va.numpy(), (img_va.reshape(len(img_va), -1) - m) / s, rtol=1e-12, atol=1e-12)
    again = nn_helpers.load_digits_binary(dtype=torch.float32)
    assert again[0].dtype == torch.float32 and torch.allclose(again[0].double(), x_tr, atol=1e-5)


def test_max_rel_error_and_report_gradient(capsys):
    assert nn_helpers.max_rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert nn_helpers.max_rel_error(torch.tensor([1.0, 2.0]), np.array([3.0, 2.0])) == pytest.approx(0.5)
    g = np.array([1.0, -2.0, 3.0])
    nn_helpers.report_gradient("dL/dx", g, g * (1 + 1e-9), g)
    nn_helpers.report_gradient("dL/dw", g, g * 1.01, g)
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert lines[0].startswith("dL/dx") and lines[0].endswith("looks right")
    assert lines[1].startswith("dL/dw") and "CHECK YOUR DERIVATION" in lines[1]
    assert out.err == ""


def test_seed_everything_makes_all_generators_repeat():
    import random

    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    nn_helpers.seed_everything(5)
    a = draw()
    nn_helpers.seed_everything(5)
    assert draw() == a
    nn_helpers.seed_everything(6)
    assert all(u != v for u, v in zip(draw(), a))
    assert math.isfinite(sum(a))


# -- gradient norms at initialisation (ps3's grids) and the by-hand rule for optimizers ----------
def test_layer_gradient_norms_are_autograd_norms_per_linear_and_leave_the_model_alone():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Sequential(nn.Linear(5, 4), nn.ReLU()), nn.Linear(4, 1))
    x, y = torch.randn(9, 6), torch.randn(9, 1)
    weights = [p.detach().clone() for p in net.parameters()]
    norms = training.layer_gradient_norms(net, x, y, nn.MSELoss())
    nn.MSELoss()(net(x), y).backward()
    expected = [float(m.weight.grad.norm()) for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(norms) == 3 and np.allclose(norms, expected, rtol=1e-6)
    net.zero_grad(set_to_none=True)
    training.layer_gradient_norms(net, x, y, nn.MSELoss())
    assert all(p.grad is None for p in net.parameters()), ".grad fields written"
    assert all(torch.equal(a, b) for a, b in zip(weights, net.parameters()))
    assert training.layer_gradient_norms(nn.Tanh(), x, x, nn.MSELoss()) == []


def test_initial_gradient_norms_use_a_copy_and_shrink_through_a_deep_sigmoid_net():
    torch.manual_seed(0)
    deep = training.make_mlp([32] * 6, nn.Sigmoid)
    before = [p.detach().clone() for p in deep.parameters()]
    norms = training.initial_gradient_norms(deep, n_train=512)
    assert len(norms) == 7 and all(n > 0 for n in norms)
    assert norms[0] < norms[-1] / 100, norms  # vanishing gradients: the first layer's is far smaller
    assert all(torch.equal(a, b) for a, b in zip(before, deep.parameters()))


def test_no_torch_optim_fails_a_delegating_optimizer_and_passes_one_by_hand():
    class ByHand(torch.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p -= group["lr"] * p.grad

    with training.no_torch_optim("ByHand"):
        training.optimizer_trajectory(lambda ps: ByHand(ps, 0.1), steps=3)
    with pytest.raises(AssertionError, match="torch.optim"):
        with training.no_torch_optim("Delegating"):
            training.optimizer_trajectory(lambda ps: torch.optim.SGD(ps, lr=0.1), steps=3)
