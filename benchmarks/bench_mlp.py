"""Benchmark ps5: the NumPy MLP against the same network in PyTorch, and the full runs.

    python -m benchmarks.bench_mlp                # timing + full runs (NumPy MLP, PyTorch MLP, CNN)
    python -m benchmarks.bench_mlp --timing-only  # timing only; the full-run results already in the
                                             # JSON file are kept (--quick is the same)

Timing: one epoch of MNIST (60 000 images, minibatches of 64, float32, SGD,
784-500-250-100-10 ReLU, loss of every minibatch computed) with the NumPy
`train` of source/ps5/mnist_numpy.ipynb and with the same network and plain
SGD written directly in PyTorch (a like-for-like loop, no DataLoader),
repeated and interleaved on the same CPU in one run, for each thread setting
of --threads (default "1,0"): 1 = both libraries limited to one thread (NumPy's
BLAS and PyTorch; the NumPy notebook limits BLAS to one thread), 0 = each
library's default (on this machine one thread per core for both).  Both
libraries always get the same setting.  The fastest repeat of each counts
(other processes only ever slow a run down).  Target: time ratio
NumPy / PyTorch <= 1.0; the ratio of every setting is reported, and the
target counts as met only if it holds for all of them.  The load average
before and after the timing is recorded (the cores may be shared).

Full runs (accuracy targets of issue 6), each with the reference code and
hyperparameters the notebooks ship -- nothing is re-implemented here:

  NumPy MLP    the solution cells of source/ps5/mnist_numpy.ipynb, trained with
               its `# Reference hyperparameters` cell (`best = dict(...)`);
               target >= 97.5 % test accuracy
  PyTorch MLP  the provided and solution code cells of
               source/ps5/mnist_pytorch.ipynb (test cells left out) executed in
               order up to and including its `# Reference hyperparameters` cell,
               which trains the MLP with Adam; target >= 98 %
  CNN          then that notebook's `class CNN` cell and its
               `# Reference hyperparameters of the CNN` cell; target >= 98.5 %

The NumPy full run limits BLAS to one thread, as the NumPy notebook does; the
PyTorch full runs use PyTorch's default number of threads, as the notebook
does on a student's machine (--full-threads to change it).  Test accuracy is
recomputed on all 10 000 test images from the trained model.

Results go to reports/bench_mlp.json and a Markdown table on stdout; the
exit status is 1 if a target is missed.
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
TORCH_NOTEBOOK = ROOT / "source" / "ps5" / "mnist_pytorch.ipynb"
MLP_MARK = "# Reference hyperparameters (full run"
CNN_MARK = "# Reference hyperparameters of the CNN"
CNN_CLASS = "class CNN("
TARGETS = {"numpy_mlp": 0.975, "pytorch_mlp": 0.98, "cnn": 0.985}
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
    """Plain SGD on the same network in PyTorch (float32), for the timing only; returns the model."""
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


# --- the PyTorch notebook's own reference code -------------------------------------------------

def _is_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def torch_reference_cells(notebook: Path = TORCH_NOTEBOOK) -> dict[str, list]:
    """The notebook's code cells the full runs execute, as {"setup", "mlp", "cnn"}: lists of
    (name, source).  setup: every provided and solution code cell before the MLP's reference
    cell (test cells left out); mlp: that cell; cnn: the `class CNN` cell and the CNN's
    reference cell."""
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and not _is_test(c)]

    def name(c):
        return f"{notebook.name}:{c.metadata.get('nbgrader', {}).get('grade_id') or c.get('id')}"

    def find(prefix):
        hits = [i for i, c in enumerate(code) if c.source.lstrip().startswith(prefix)]
        if len(hits) != 1:
            raise RuntimeError(f"{notebook}: expected one code cell starting with {prefix!r}, found {len(hits)}")
        return hits[0]

    i_mlp, i_class, i_cnn = find(MLP_MARK), find(CNN_CLASS), find(CNN_MARK)
    if not i_mlp < i_class < i_cnn:
        raise RuntimeError(f"{notebook}: expected the MLP run, then `class CNN`, then the CNN run")
    return {"setup": [(name(c), c.source) for c in code[:i_mlp]],
            "mlp": [(name(code[i_mlp]), code[i_mlp].source)],
            "cnn": [(name(code[i_class]), code[i_class].source), (name(code[i_cnn]), code[i_cnn].source)]}


def _hyperparameters(source: str, ns: dict) -> dict:
    """The UPPER_CASE names a cell assigns, with their values after it ran (JSON-friendly)."""
    import ast

    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.isupper() and target.id not in names:
                    names.append(target.id)
    return {n: list(ns[n]) if isinstance(ns[n], tuple) else ns[n] for n in names}


def _run_cells(cells, ns: dict) -> float:
    t = time.perf_counter()
    for name, source in cells:
        exec(compile(source, name, "exec"), ns)
    return time.perf_counter() - t


def _test_accuracy(model, X, y) -> float:
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(X), 1000):
            correct += int((model(X[i:i + 1000]).argmax(dim=1) == y[i:i + 1000]).sum())
    return correct / len(X)


def torch_full_runs(threads: int) -> dict:
    """Run the PyTorch notebook's reference MLP and CNN in full; {"pytorch_full_run", "cnn_full_run"}."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    import torch

    os.environ.pop("NBGRADER_EXECUTION", None)       # a student's full run, not the autograder's
    if threads > 0:
        torch.set_num_threads(threads)
    show = plt.show
    plt.show = lambda *a, **k: plt.close("all")     # the notebook's plots: drawn, then dropped
    try:
        cells = torch_reference_cells()
        ns: dict = {"__name__": "__main__", "display": lambda *a, **k: None}
        setup_s = _run_cells(cells["setup"], ns)
        if ns.get("FAST"):
            raise RuntimeError("the notebook runs in FAST (autograder) mode; unset NBGRADER_EXECUTION")
        threads_used = torch.get_num_threads()
        out = {}
        for key, part, model_name, history_name in (("pytorch_full_run", "mlp", "mlp", "torch_history"),
                                                    ("cnn_full_run", "cnn", "cnn", "cnn_history")):
            target = TARGETS["pytorch_mlp" if part == "mlp" else "cnn"]
            print(f"full run of the notebook's {'PyTorch MLP' if part == 'mlp' else 'CNN'} "
                  f"({', '.join(n for n, _ in cells[part])}) ...", flush=True)
            took = _run_cells(cells[part], ns)
            model, history = ns[model_name], ns[history_name]
            acc = _test_accuracy(model, ns["X_test"], ns["y_test"])
            hyper = _hyperparameters(cells[part][-1][1], ns)
            hyper.update(BATCH_SIZE=ns["BATCH_SIZE"],
                         optimizer=type(ns["optimizer" if part == "mlp" else "cnn_optimizer"]).__name__,
                         scheduler=type(ns["scheduler" if part == "mlp" else "cnn_scheduler"]).__name__)
            out[key] = {"code": [n for n, _ in cells[part]], "hyperparameters": hyper,
                        "parameters": sum(p.numel() for p in model.parameters()),
                        "torch_threads": threads_used,
                        "seconds": took, "training_seconds": float(sum(history["epoch_time"])),
                        "epoch_s": history["epoch_time"], "train_loss_per_epoch": history["train_loss"],
                        "test_accuracy_per_epoch": history["test_acc"],
                        "test_accuracy": acc, "target": target, "met": acc >= target}
            print(f"  test accuracy {acc:.2%} (target >= {target:.1%}) in {took:.0f} s", flush=True)
        out["pytorch_full_run"]["setup_seconds"] = setup_s
        return out
    finally:
        plt.show = show


FULL_RUNS = ("numpy_full_run", "pytorch_full_run", "cnn_full_run")


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info

    return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=0)


def _setting_name(threads: int) -> str:
    return f"{threads}_thread{'s' if threads > 1 else ''}" if threads > 0 else "default_threads"


def time_epochs(ref, X, Y, Xtorch, ytorch, settings: list[int], repeats: int) -> dict:
    """One-epoch times of NumPy and PyTorch for each thread setting (0: library defaults),
    interleaved: every repeat runs every setting, NumPy then PyTorch."""
    import torch
    from threadpoolctl import threadpool_limits

    torch_default = torch.get_num_threads()
    out = {}

    def configure(threads):
        torch.set_num_threads(threads if threads > 0 else torch_default)
        return threadpool_limits(threads if threads > 0 else None, user_api="blas")

    for threads in settings:                               # warm-up (thread pools, allocator)
        with configure(threads):
            numpy_epoch(ref, X[:2048], Y[:2048], 0)
            torch_epoch(Xtorch[:2048], ytorch[:2048], 0)
            out[_setting_name(threads)] = {
                "threads_requested": threads or "library defaults",
                "numpy_blas_threads": _blas_threads(), "torch_threads": torch.get_num_threads(),
                "numpy_epoch_s": [], "pytorch_epoch_s": [], "numpy_epoch_cpu_s": [], "pytorch_epoch_cpu_s": []}
    for r in range(repeats):
        for threads in settings:
            res = out[_setting_name(threads)]
            with configure(threads):
                for name, run in (("numpy", lambda: numpy_epoch(ref, X, Y, r)),
                                  ("pytorch", lambda: torch_epoch(Xtorch, ytorch, r))):
                    wall, used = run()
                    res[f"{name}_epoch_s"].append(wall)
                    res[f"{name}_epoch_cpu_s"].append(used)
            print(f"  repeat {r + 1}, {_setting_name(threads)}: numpy {res['numpy_epoch_s'][-1]:.2f} s "
                  f"(CPU {res['numpy_epoch_cpu_s'][-1]:.2f} s), pytorch {res['pytorch_epoch_s'][-1]:.2f} s "
                  f"(CPU {res['pytorch_epoch_cpu_s'][-1]:.2f} s)", flush=True)
    torch.set_num_threads(torch_default)
    for res in out.values():
        res["numpy_best_s"], res["pytorch_best_s"] = min(res["numpy_epoch_s"]), min(res["pytorch_epoch_s"])
        res["ratio_numpy_over_pytorch"] = res["numpy_best_s"] / res["pytorch_best_s"]
        res["cpu_time_ratio_numpy_over_pytorch"] = min(res["numpy_epoch_cpu_s"]) / min(res["pytorch_epoch_cpu_s"])
        res["met"] = res["ratio_numpy_over_pytorch"] <= 1.0
    return out


def merge_full_runs(new: dict, old: dict) -> dict:
    """`new` (a timing-only result) with the full-run results of an earlier file `old` kept."""
    out = dict(new)
    kept = [k for k in FULL_RUNS if k in old]
    for key in kept:
        out[key] = old[key]
    if "full_runs_machine" in old:
        out["full_runs_machine"] = old["full_runs_machine"]
    elif kept:      # a file written before timing and full runs were recorded apart
        out["full_runs_machine"] = {"note": "machine state of the run that produced the full runs "
                                            "(its load average was taken before its timing, the "
                                            "'after' one after the full runs)", **old.get("machine", {})}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timing-only", "--quick", dest="timing_only", action="store_true",
                    help="timing only, no full training run; the full-run results already in --out are kept")
    ap.add_argument("--repeats", type=int, default=3, help="timed epochs per framework and setting (default 3)")
    ap.add_argument("--threads", default="1,0",
                    help="comma-separated thread settings for the timing, each applied to NumPy's BLAS "
                         "and to PyTorch alike (0: library defaults; default '1,0')")
    ap.add_argument("--full-threads", type=int, default=0,
                    help="PyTorch threads in the PyTorch MLP and CNN full runs (default 0: PyTorch's "
                         "default, as in the notebook)")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_mlp.json")
    args = ap.parse_args(argv)
    settings = [int(t) for t in args.threads.split(",")]

    import torch
    from threadpoolctl import threadpool_limits

    torch_default_threads = torch.get_num_threads()
    sys.path.insert(0, str(ROOT))
    from utils import load_mnist

    ref, best = load_reference()
    tr_img, tr_lab = load_mnist("train")
    te_img, te_lab = load_mnist("test")
    X, Y = ref["preprocess"](tr_img, tr_lab)
    Xt, _ = ref["preprocess"](te_img, te_lab)
    Xtorch, ytorch = torch.from_numpy(X), torch.from_numpy(tr_lab.astype(np.int64))

    print(f"timing one epoch ({len(X)} images, batch {BATCH}, float32, {'-'.join(map(str, DIMS))} ReLU), "
          f"thread settings {[_setting_name(t) for t in settings]}, {args.repeats} repeats each, "
          f"interleaved ...", flush=True)
    load_before = list(os.getloadavg())
    runs = time_epochs(ref, X, Y, Xtorch, ytorch, settings, args.repeats)
    load_after = list(os.getloadavg())
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "numpy": np.__version__, "torch": torch.__version__,
                    "torch_default_threads": torch_default_threads},
        "timing": {"network": DIMS, "batch_size": BATCH, "dtype": "float32", "images": len(X),
                   "repeats": args.repeats, "measured": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                   "load_average_before": load_before, "load_average_after": load_after,
                   "target": "ratio_numpy_over_pytorch <= 1.0 in every setting",
                   "met": all(r["met"] for r in runs.values()), **runs},
    }
    if "1_thread" in runs and "default_threads" in runs:
        # The notebooks as a student runs them: NumPy limited to one BLAS thread, PyTorch at its default.
        result["timing"]["as_the_notebooks_run"] = {
            "numpy_1_thread_best_s": runs["1_thread"]["numpy_best_s"],
            "pytorch_default_threads_best_s": runs["default_threads"]["pytorch_best_s"],
            "ratio_numpy_over_pytorch": runs["1_thread"]["numpy_best_s"] / runs["default_threads"]["pytorch_best_s"],
            "note": "not a like-for-like comparison: the NumPy notebook limits BLAS to one thread, "
                    "the PyTorch notebook leaves PyTorch at its default"}

    if args.timing_only:
        if args.out.exists():
            result = merge_full_runs(result, json.loads(args.out.read_text()))
    else:
        full_before = list(os.getloadavg())
        print(f"full run of the NumPy MLP with the notebook's reference settings {best} ...", flush=True)
        with threadpool_limits(1, user_api="blas"):      # as the NumPy notebook does
            t = time.perf_counter()
            params, history = ref["train"](X, Y, best["layer_dims"], best["epochs"], best["batch_size"],
                                           best["learning_rate"], best["activation"], lambd=best["lambd"],
                                           rng=np.random.default_rng(0))
            took = time.perf_counter() - t
            acc = float((ref["predict"](Xt, params, best["activation"]) == te_lab).mean())
        target = TARGETS["numpy_mlp"]
        result["numpy_full_run"] = {"hyperparameters": best, "blas_threads": 1,
                                    "seconds": took, "loss_per_epoch": history,
                                    "test_accuracy": acc, "target": target, "met": acc >= target}
        print(f"  NumPy MLP: test accuracy {acc:.2%} in {took:.0f} s", flush=True)
        result.update(torch_full_runs(args.full_threads or torch_default_threads))
        result["full_runs_machine"] = {"load_average_before": full_before,
                                       "load_average_after": list(os.getloadavg())}

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    tm = result["timing"]
    print()
    print(f"One epoch, best of {args.repeats} (load average before / after: "
          f"{tm['load_average_before'][0]:.2f} / {tm['load_average_after'][0]:.2f}):")
    print("| threads (both libraries) | NumPy MLP | PyTorch MLP | time ratio NumPy / PyTorch (target <= 1.0) "
          "| CPU-time ratio |")
    print("|---|---:|---:|---|---:|")
    for name in runs:
        r = tm[name]
        label = (f"1 (BLAS {r['numpy_blas_threads']}, torch {r['torch_threads']})" if name == "1_thread"
                 else f"{name.replace('_', ' ')} (BLAS {r['numpy_blas_threads']}, torch {r['torch_threads']})")
        print(f"| {label} | {r['numpy_best_s']:.2f} s | {r['pytorch_best_s']:.2f} s | "
              f"{r['ratio_numpy_over_pytorch']:.2f} ({'met' if r['met'] else 'NOT met'}) | "
              f"{r['cpu_time_ratio_numpy_over_pytorch']:.2f} |")
    if "as_the_notebooks_run" in tm:
        a = tm["as_the_notebooks_run"]
        print(f"As the notebooks run (NumPy 1 BLAS thread, PyTorch default threads): "
              f"{a['numpy_1_thread_best_s']:.2f} s vs {a['pytorch_default_threads_best_s']:.2f} s, "
              f"ratio {a['ratio_numpy_over_pytorch']:.2f}")
    print(f"Timing target {'met' if tm['met'] else 'NOT met'} in "
          f"{sum(r['met'] for r in runs.values())} of {len(runs)} thread settings.")
    if any(k in result for k in FULL_RUNS):
        print()
        print("| full run (notebook's reference hyperparameters) | test accuracy | target | met | seconds |")
        print("|---|---:|---:|---|---:|")
        for key, label in (("numpy_full_run", "NumPy MLP (SGD)"), ("pytorch_full_run", "PyTorch MLP (Adam)"),
                           ("cnn_full_run", "PyTorch CNN (Adam)")):
            if key in result:
                r = result[key]
                print(f"| {label} | {r['test_accuracy']:.2%} | >= {r['target']:.1%} | "
                      f"{'yes' if r['met'] else 'NO'} | {r['seconds']:.0f} |")
        if args.timing_only:
            print("(full runs kept from the earlier run recorded in the file)")
    print(f"\nwritten to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    ok = tm["met"] and all(result.get(k, {}).get("met", True) for k in FULL_RUNS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
