"""Benchmark: the NumPy MLP of ps5 against the same network in PyTorch, side by side.

    python -m tools.bench_mlp            # timing + full-run accuracy of the NumPy MLP
    python -m tools.bench_mlp --quick    # timing only (one epoch each, a few repeats)
    python -m tools.bench_mlp --torch-full   # also train the PyTorch MLP in full

The NumPy code is the instructor's solution of source/ps5/mnist_numpy.ipynb,
taken from its solution cells at run time (students never receive it), and
the hyperparameters are the notebook's reference `best = dict(...)` cell.

Timing: one epoch of MNIST (60 000 images, minibatches of 64, float32, SGD,
784-500-250-100-10 ReLU, loss of every minibatch computed) with each
framework, repeated and interleaved on the same CPU, both with the same
number of threads (--threads, default 1 as in the notebook, which limits
BLAS to one thread; 0 keeps each library's default); the fastest repeat of
each counts (other processes only ever slow a run down).  Target: time ratio
NumPy / PyTorch <= 1.0.

Results go to reports/bench_mlp.json and a Markdown table on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "source" / "ps5" / "mnist_numpy.ipynb"
DIMS = [784, 500, 250, 100, 10]
BATCH = 64
LR = 0.1


def _quiet_progress(iterable=None, **_):
    return iterable


def load_reference(notebook: Path = NOTEBOOK) -> tuple[dict, dict]:
    """(namespace with the solution functions, the reference `best` hyperparameters)."""
    nb = nbformat.read(notebook, as_version=4)
    ns: dict = {"np": np, "progress": _quiet_progress}
    best = None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(compile(cell.source, f"{notebook.name}:{cell.metadata['nbgrader']['grade_id']}", "exec"), ns)
        elif cell.source.lstrip().startswith("# Reference hyperparameters"):
            scope: dict = {}
            exec(cell.source, scope)
            best = scope["best"]
    if best is None:
        raise RuntimeError(f"{notebook}: no cell starting with '# Reference hyperparameters'")
    return ns, best


def numpy_epoch(ref: dict, X, Y, seed: int) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one epoch of the notebook's `train`."""
    t, c = time.perf_counter(), time.process_time()
    ref["train"](X, Y, DIMS, 1, BATCH, LR, "relu", rng=np.random.default_rng(seed))
    return time.perf_counter() - t, time.process_time() - c


def torch_model(dims, seed):
    import torch

    torch.manual_seed(seed)
    layers = []
    for n_in, n_out in zip(dims[:-1], dims[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def torch_train(X, y, dims, epochs, batch_size, lr, seed):
    """Plain SGD on the same network in PyTorch (float32); returns the model."""
    import torch

    model = torch_model(dims, seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    n = len(X)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
    return model


def torch_epoch(X, y, seed: int) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one epoch of the same network in PyTorch."""
    t, c = time.perf_counter(), time.process_time()
    torch_train(X, y, DIMS, 1, BATCH, LR, seed)
    return time.perf_counter() - t, time.process_time() - c


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="timing only, no full training run")
    ap.add_argument("--repeats", type=int, default=3, help="timed epochs per framework (default 3)")
    ap.add_argument("--torch-full", action="store_true", help="also train the PyTorch MLP in full")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for NumPy's BLAS and for PyTorch (0: library defaults; default 1)")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_mlp.json")
    args = ap.parse_args(argv)

    import torch
    from threadpoolctl import threadpool_limits

    if args.threads > 0:
        threadpool_limits(args.threads, user_api="blas")
        torch.set_num_threads(args.threads)
    sys.path.insert(0, str(ROOT))
    from utils import load_mnist

    ref, best = load_reference()
    tr_img, tr_lab = load_mnist("train")
    te_img, te_lab = load_mnist("test")
    X, Y = ref["preprocess"](tr_img, tr_lab)
    Xt, _ = ref["preprocess"](te_img, te_lab)
    Xtorch, ytorch = torch.from_numpy(X), torch.from_numpy(tr_lab.astype(np.int64))

    print(f"threads: {args.threads or 'library defaults'}; "
          f"timing one epoch ({len(X)} images, batch {BATCH}, float32, {'-'.join(map(str, DIMS))} ReLU), "
          f"{args.repeats} repeats each, interleaved ...", flush=True)
    times = {"numpy": [], "pytorch": []}
    cpu = {"numpy": [], "pytorch": []}
    numpy_epoch(ref, X[:2048], Y[:2048], 0)            # warm-up (BLAS threads, allocator)
    torch_epoch(Xtorch[:2048], ytorch[:2048], 0)
    for r in range(args.repeats):
        for name, run in (("numpy", lambda: numpy_epoch(ref, X, Y, r)),
                          ("pytorch", lambda: torch_epoch(Xtorch, ytorch, r))):
            wall, used = run()
            times[name].append(wall)
            cpu[name].append(used)
        print(f"  repeat {r + 1}: numpy {times['numpy'][-1]:.2f} s (CPU {cpu['numpy'][-1]:.2f} s), "
              f"pytorch {times['pytorch'][-1]:.2f} s (CPU {cpu['pytorch'][-1]:.2f} s)", flush=True)
    best_np, best_torch = min(times["numpy"]), min(times["pytorch"])
    cpu_ratio = min(cpu["numpy"]) / min(cpu["pytorch"])
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "load_average": list(os.getloadavg()),
                    "numpy": np.__version__, "torch": torch.__version__,
                    "threads_requested": args.threads or "library defaults",
                    "torch_threads": torch.get_num_threads()},
        "timing": {"network": DIMS, "batch_size": BATCH, "dtype": "float32", "images": len(X),
                   "numpy_epoch_s": times["numpy"], "pytorch_epoch_s": times["pytorch"],
                   "numpy_best_s": best_np, "pytorch_best_s": best_torch,
                   "ratio_numpy_over_pytorch": best_np / best_torch,
                   "numpy_epoch_cpu_s": cpu["numpy"], "pytorch_epoch_cpu_s": cpu["pytorch"],
                   "cpu_time_ratio_numpy_over_pytorch": cpu_ratio},
    }

    if not args.quick:
        print(f"full run of the NumPy MLP with the notebook's reference settings {best} ...", flush=True)
        t = time.perf_counter()
        params, history = ref["train"](X, Y, best["layer_dims"], best["epochs"], best["batch_size"],
                                       best["learning_rate"], best["activation"], lambd=best["lambd"],
                                       rng=np.random.default_rng(0))
        took = time.perf_counter() - t
        acc = float((ref["predict"](Xt, params, best["activation"]) == te_lab).mean())
        result["numpy_full_run"] = {"hyperparameters": best, "seconds": took, "loss_per_epoch": history,
                                    "test_accuracy": acc, "target": 0.975, "met": acc >= 0.975}
        print(f"  NumPy MLP: test accuracy {acc:.2%} in {took:.0f} s", flush=True)
    if args.torch_full:
        t = time.perf_counter()
        model = torch_train(Xtorch, ytorch, best["layer_dims"], best["epochs"], best["batch_size"],
                            best["learning_rate"], seed=0)
        took = time.perf_counter() - t
        with torch.no_grad():
            acc = float((model(torch.from_numpy(Xt)).argmax(1).numpy() == te_lab).mean())
        result["pytorch_full_run"] = {"optimizer": "SGD", "seconds": took, "test_accuracy": acc}
        print(f"  PyTorch MLP (same SGD settings): test accuracy {acc:.2%} in {took:.0f} s", flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    tm = result["timing"]
    print()
    print("| | NumPy MLP | PyTorch MLP |")
    print("|---|---|---|")
    print(f"| one epoch (best of {args.repeats}) | {best_np:.2f} s | {best_torch:.2f} s |")
    print(f"| time ratio NumPy / PyTorch | {tm['ratio_numpy_over_pytorch']:.2f} (target <= 1.0) | |")
    print(f"| CPU-time ratio NumPy / PyTorch | {cpu_ratio:.2f} | |")
    if "numpy_full_run" in result or "pytorch_full_run" in result:
        a = result.get("numpy_full_run", {}).get("test_accuracy")
        b = result.get("pytorch_full_run", {}).get("test_accuracy")
        print(f"| full-run test accuracy | {'' if a is None else f'{a:.2%} (target >= 97.5 %)'} | "
              f"{'' if b is None else f'{b:.2%} (same SGD settings)'} |")
    print(f"\nwritten to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    ok = tm["ratio_numpy_over_pytorch"] <= 1.0 and result.get("numpy_full_run", {}).get("met", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
