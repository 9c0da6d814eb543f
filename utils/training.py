"""Small supervised-training harness for the 6x6 binary-image tasks (ps3, ps4).

    from utils.training import Supervise, run_test, run_grid, make_mlp

    net = make_mlp([64, 64], nn.ReLU)                    # 36 -> 64 -> 64 -> 1, sigmoid output
    result = run_test(net, lambda p: torch.optim.Adam(p, lr=1e-3), epochs=10)
    results = run_grid({"ReLU": lambda: make_mlp([32], nn.ReLU),
                        "tanh": lambda: make_mlp([32], nn.Tanh)},
                       make_optimizer=lambda p: torch.optim.Adam(p, lr=1e-3))

`run_test` trains with minibatches, records the training loss and the train /
test accuracy after every epoch, draws the learning curves and returns a
`RunResult`; `run_grid` runs several configurations from the same seed and puts
them side by side (loss curves, accuracy curves, a bar chart and a table; with
grad_norms=True also each network's per-layer gradient norms at initialisation,
from `layer_gradient_norms`).
Networks end in a sigmoid: they output P(label = 1), shape [N, 1] or [N].
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from .progress import progress
from .training_report import plot_gradient_norms, plot_runs, summary_table  # noqa: F401 (utils.training's API too)


@lru_cache(maxsize=None)
def load_binary_images(name: str = "tiny-classification"):
    """(X_train, y_train, X_test, y_test) as float32 tensors (X: [N, 36], y: [N] of 0/1)."""
    from .data import load_csv_dataset

    out = []
    for split in ("train", "test"):
        X, y = load_csv_dataset(name, split)
        out += [torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)]
    return tuple(out)


def show_images(X, y=None, n: int = 16, title: str = "Samples", size: int = 6):
    """A grid of the first n images (rows of X, flattened size x size), labels in the titles."""
    import matplotlib.pyplot as plt

    X = np.asarray(X.detach() if hasattr(X, "detach") else X, float)[:n]
    cols = min(8, n)
    rows = int(np.ceil(len(X) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(X):
            ax.imshow(X[i].reshape(size, size), cmap="gray_r", vmin=0, vmax=1)
            if y is not None:
                ax.set_title(f"label {int(np.asarray(y[i]))}", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def make_mlp(hidden_dims, activation=None, batchnorm: bool = False, input_size: int = 36):
    """Linear -> [BatchNorm1d] -> activation, once per hidden width, then Linear(., 1) -> Sigmoid."""
    activation = activation or nn.ReLU
    layers, d = [], input_size
    for h in hidden_dims:
        layers.append(nn.Linear(d, h))
        if batchnorm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(activation())
        d = h
    layers += [nn.Linear(d, 1), nn.Sigmoid()]
    return nn.Sequential(*layers)


def count_parameters(net) -> int:
    return sum(p.numel() for p in net.parameters())


class Supervise(nn.Module):
    """Wraps a network and a loss: forward(x, y) = criterion(net(x).squeeze(-1), y).

    The network outputs one probability per example (shape [N, 1] or [N]);
    the criterion compares it with the labels (shape [N]), e.g. nn.BCELoss().
    Attributes: `net`, `criterion`.
    """

    def __init__(self, criterion, net):
        super().__init__()
        self.criterion = criterion
        self.net = net

    def forward(self, x, y):
        out = self.net(x)
        if out.dim() > 1:
            out = out.squeeze(-1)
        return self.criterion(out, y)


@dataclass
class RunResult:
    """What one training run produced (per-epoch curves and final accuracies)."""
    label: str
    train_loss: list = field(default_factory=list)     # mean training loss per epoch
    train_acc: list = field(default_factory=list)      # accuracy on the training set after each epoch
    test_acc: list = field(default_factory=list)       # accuracy on the test set after each epoch
    seconds: float = 0.0
    parameters: int = 0
    grad_norms: list = field(default_factory=list)     # ||dL/dW|| per Linear layer at initialisation (run_grid)

    @property
    def final_train_acc(self) -> float:
        return self.train_acc[-1] if self.train_acc else float("nan")

    @property
    def final_test_acc(self) -> float:
        return self.test_acc[-1] if self.test_acc else float("nan")


def accuracy(net, X, y) -> float:
    """Fraction of examples where (net(X) > 0.5) equals the 0/1 label; evaluates in eval mode."""
    was_training = net.training
    net.eval()
    with torch.no_grad():
        out = net(X.to(_dtype_of(net)))
        out = out.squeeze(-1) if out.dim() > 1 else out
        acc = float(((out > 0.5).to(y.dtype) == y).double().mean())
    net.train(was_training)
    return acc


def _dtype_of(net):
    for p in net.parameters():
        return p.dtype
    return torch.get_default_dtype()


def layer_gradient_norms(model, x, y, loss_fn) -> list:
    """[||dL/dW|| for the weight of each nn.Linear in model.modules()] for L = loss_fn(model(x), y).

    The Frobenius norm of each Linear layer's weight gradient, input layer first; biases do not
    count.  Computed with torch.autograd.grad: the model's .grad fields and weights are left as
    they were (a forward pass in training mode still updates BatchNorm's running statistics: pass
    a copy of a network you go on using).  Provided for ps3's comparison grids; ps4's students
    write their own.
    """
    linears = [layer for layer in model.modules() if isinstance(layer, nn.Linear)]
    if not linears:
        return []
    grads = torch.autograd.grad(loss_fn(model(x), y), [m.weight for m in linears], allow_unused=True)
    return [0.0 if g is None else float(g.norm()) for g in grads]


def initial_gradient_norms(net, criterion=None, dataset: str = "tiny-classification",
                           n_train: int | None = None) -> list:
    """layer_gradient_norms of a fresh network on the whole training set (its mean loss, the
    criterion on the squeezed output as in Supervise), computed on a copy in training mode."""
    import copy

    criterion = criterion if criterion is not None else nn.BCELoss()
    X, y = load_binary_images(dataset)[:2]
    if n_train is not None:
        X, y = X[:n_train], y[:n_train]
    dtype = _dtype_of(net)
    twin = copy.deepcopy(net)
    twin.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: extra threads only add overhead (as in run_test)
    try:
        return layer_gradient_norms(twin, X.to(dtype), y.to(dtype), lambda out, target: criterion(
            out.squeeze(-1) if out.dim() > 1 else out, target))
    finally:
        torch.set_num_threads(threads)


# size: the notebooks' training knobs, each a keyword with a default
def run_test(net, make_optimizer, epochs: int = 10, batch_size: int = 64, criterion=None,
             dataset: str = "tiny-classification", seed: int = 0, label: str | None = None,
             plot: bool = True, n_train: int | None = None) -> RunResult:
    """Train `net` on a binary-image dataset and report learning curves and accuracies.

    make_optimizer: a function parameters -> optimizer (anything with step() and
    zero_grad(), e.g. `lambda p: torch.optim.SGD(p, lr=0.1)`).
    criterion: the loss on probabilities (default nn.BCELoss()).
    seed fixes the minibatch order (build the network after torch.manual_seed
    yourself if its initialisation should be reproducible too).
    n_train: use only the first n_train training examples (quick checks).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these networks are tiny: extra threads only add overhead
    try:
        return _run_test(net, make_optimizer, epochs, batch_size, criterion, dataset, seed,
                         label, plot, n_train)
    finally:
        torch.set_num_threads(threads)


# size: run_test's knobs, passed on as they are
def _run_test(net, make_optimizer, epochs, batch_size, criterion, dataset, seed, label, plot,
              n_train) -> RunResult:
    criterion = criterion if criterion is not None else nn.BCELoss()
    X, y, Xt, yt = load_binary_images(dataset)
    if n_train is not None:
        X, y = X[:n_train], y[:n_train]
    dtype = _dtype_of(net)
    X, y, Xt, yt = X.to(dtype), y.to(dtype), Xt.to(dtype), yt.to(dtype)
    model = Supervise(criterion, net)
    optimizer = make_optimizer(net.parameters())
    gen = torch.Generator().manual_seed(seed)
    result = RunResult(label or type(net).__name__, parameters=count_parameters(net))
    start = time.perf_counter()
    net.train()
    for _ in progress(range(epochs), desc=result.label):
        order = torch.randperm(len(X), generator=gen)
        total, count = 0.0, 0
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]
            if len(idx) < 2 and len(X) > 1:
                continue  # BatchNorm cannot train on a single example
            loss = model(X[idx], y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        result.train_loss.append(total / max(count, 1))
        result.train_acc.append(accuracy(net, X, y))
        result.test_acc.append(accuracy(net, Xt, yt))
    result.seconds = time.perf_counter() - start
    if plot:
        plot_runs([result], title=f"{result.label}: train {result.final_train_acc:.3f}, "
                                  f"test {result.final_test_acc:.3f}")
    return result


def run_grid(configs: dict, make_optimizer=None, title: str = "Comparison", seed: int = 0,
             grad_norms: bool = False, **run_kwargs):
    """Run several configurations from the same seed and show them side by side.

    configs: {label: make_net} or {label: (make_net, make_optimizer)} or
    {label: dict(net=make_net, optimizer=..., criterion=..., ...)} where make_net
    is a zero-argument function returning a fresh network; keyword arguments of
    run_test (epochs, batch_size, criterion, dataset, n_train) apply to all runs
    unless a config's dict overrides them.  grad_norms: also measure each fresh
    network's per-layer gradient norms on the whole training set before it trains
    (`initial_gradient_norms`, on a copy: training is unchanged), plot them and add
    the first and last layer's to the table.  Returns {label: RunResult}.
    """
    from IPython.display import display

    results = {}
    for label, cfg in configs.items():
        opts = dict(run_kwargs)
        if isinstance(cfg, dict):
            cfg = dict(cfg)
            make_net, make_opt = cfg.pop("net"), cfg.pop("optimizer", make_optimizer)
            opts.update(cfg)
        elif isinstance(cfg, tuple):
            make_net, make_opt = cfg
        else:
            make_net, make_opt = cfg, make_optimizer
        if make_opt is None:
            raise ValueError(f"{label}: no optimizer given (pass make_optimizer=...)")
        torch.manual_seed(seed)
        net = make_net()
        norms = (initial_gradient_norms(net, opts.get("criterion"), opts.get("dataset", "tiny-classification"),
                                        opts.get("n_train")) if grad_norms else [])
        results[label] = run_test(net, make_opt, seed=seed, label=label, plot=False, **opts)
        results[label].grad_norms = norms
    plot_runs(list(results.values()), title=title)
    if grad_norms:
        plot_gradient_norms(list(results.values()), title=f"{title}: gradient norm per layer at initialisation")
    display(summary_table(list(results.values())))
    return results


def _torch_optim_updates() -> tuple:
    import pkgutil

    import torch.optim

    keep = {"optimizer", "lr_scheduler", "swa_utils"}   # the base class's bookkeeping, schedules, SWA
    return tuple(f"torch.optim.{m.name}" for m in pkgutil.iter_modules(torch.optim.__path__) if m.name not in keep)


# The modules of torch.optim's update rules (torch.optim.sgd, .adam, .adamw, ._functional, ...).
TORCH_OPTIM_UPDATES = _torch_optim_updates()


def no_torch_optim(what: str):
    """forbidden_calls for torch.optim's update rules, for ps3's optimizers written by hand:

        with no_torch_optim("SGDMomentum"):
            history = optimizer_trajectory(lambda ps: SGDMomentum(ps, lr=0.1))

    fails (at the end of the block) if the code called torch.optim.SGD, torch.optim.Adam, their
    step() or torch.optim's functional updates; subclassing torch.optim.Optimizer for its
    bookkeeping (param_groups, state, zero_grad) is allowed."""
    from .testing import forbidden_calls

    return forbidden_calls(modules=TORCH_OPTIM_UPDATES, what=f"{what}'s update",
                           hint="Write the update with tensor operations yourself; torch.optim is only "
                                "allowed in the tests, to compare against.")


def optimizer_trajectory(make_optimizer, shapes=((3,), (4, 5), (2, 3, 2)), steps: int = 40,
                         grad_scale: float = 1.0, seed: int = 0, frozen: bool = True):
    """Parameter values after every step of an optimizer on a fixed non-convex loss (float64).

    Several parameters of different shapes are created from `seed` and handed to
    `make_optimizer` as a generator (as net.parameters() would be); the loss
    couples them and mixes quadratic and sinusoidal terms, times grad_scale.
    With frozen=True one extra parameter never receives a gradient (its .grad
    stays None) and must be left alone.  zero_grad() is called before every
    backward(), the first included, when every .grad is still None; an
    AttributeError from it becomes a TestFailure with a hint.  After the first
    step, state tensors the optimizer keeps (in its attributes, lists, tuples and
    dicts) in another floating dtype than the float64 parameters -- state made
    with torch.zeros(p.shape), float32, and updated in place -- become a
    TestFailure whose hint says to use torch.zeros_like(p), before any value is compared.
    Returns a NumPy array [steps, n_values].
    Used to check a hand-written optimizer against torch.optim step for step.
    """
    gen = torch.Generator().manual_seed(seed)

    def rand(shape, scale=1.0, low=0.0):
        return torch.rand(shape, generator=gen, dtype=torch.float64) * scale + low

    params = [(rand(s, 2.0, -1.0)).requires_grad_() for s in shapes]
    curv = [rand(s, 2.0, 0.2) for s in shapes]
    phase = [rand(s, 6.0, -3.0) for s in shapes]
    extra = [rand((2,), 2.0, -1.0).requires_grad_()] if frozen else []
    optimizer = make_optimizer(p for p in params + extra)
    history = []
    for _ in range(steps):
        loss = sum((0.5 * c * p ** 2 + torch.sin(2.0 * p + ph)).sum()
                   for p, c, ph in zip(params, curv, phase))
        loss = loss + params[0].sum() * params[-1].mean()
        try:
            optimizer.zero_grad()   # before the first backward(), as in most training loops
        except AttributeError as e:
            from .testing import TestFailure
            raise TestFailure(
                f"zero_grad() raised AttributeError: {e}. Hint: a parameter's .grad is None until the "
                "first backward() (and stays None for a parameter that takes no part in the loss), and "
                "zero_grad() is often called before the first backward(): set p.grad = None, or zero "
                "only gradients that are not None.") from None
        (grad_scale * loss).backward()
        optimizer.step()
        if not history:
            _check_state_dtype(optimizer, params + extra)
        history.append(np.concatenate([p.detach().numpy().ravel().copy() for p in params + extra]))
    return np.array(history)


def _state_tensors(obj, seen, depth=0):
    """Tensors held by an optimizer: its attributes, and inside lists, tuples and dicts (values)."""
    if depth > 5 or id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for value in list(obj.values()):
            yield from _state_tensors(value, seen, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _state_tensors(value, seen, depth + 1)
    elif depth == 0 and hasattr(obj, "__dict__"):
        yield from _state_tensors(vars(obj), seen, depth + 1)


def _check_state_dtype(optimizer, params) -> None:
    """TestFailure if the optimizer keeps per-parameter state in another floating dtype than the
    parameters (a step counter or other single number is not per-parameter state)."""
    dtype = params[0].dtype
    ids = {id(p) for p in params}
    for t in _state_tensors(optimizer, set()):
        if id(t) in ids or t.numel() <= 1 or not t.is_floating_point() or t.dtype == dtype:
            continue
        from .testing import TestFailure
        raise TestFailure(
            f"The optimizer keeps a state tensor of dtype {t.dtype} (shape {tuple(t.shape)}) for parameters "
            f"of dtype {dtype}, so its updates are rounded to {t.dtype}. Hint: create per-parameter state "
            "with torch.zeros_like(p), which has the parameter's dtype (torch.zeros(p.shape) is float32).")
