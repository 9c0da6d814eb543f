"""The full runs of benchmarks/bench_mlp.py: the ps5 notebooks' own reference code and
hyperparameters trained in full (NumPy MLP, PyTorch MLP, CNN), with their accuracy targets;
see bench_mlp's docstring for what each run executes."""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TORCH_NOTEBOOK = ROOT / "source" / "ps5" / "mnist_pytorch.ipynb"
MLP_MARK = "# Reference hyperparameters (full run"
CNN_MARK = "# Reference hyperparameters of the CNN"
CNN_CLASS = "class CNN("
TARGETS = {"numpy_mlp": 0.975, "pytorch_mlp": 0.98, "cnn": 0.985}
FULL_RUNS = ("numpy_full_run", "pytorch_full_run", "cnn_full_run")


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
            X_test = ns["X_test"] if part == "mlp" else ns["X_test"].reshape(-1, 1, 28, 28)   # the CNN takes images
            acc = _test_accuracy(model, X_test, ns["y_test"])
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



def numpy_full_run(ref: dict, best: dict, X, Y, Xt, test_labels) -> dict:
    """Train the NumPy notebook's `train` with its reference hyperparameters `best`, BLAS limited to
    one thread as the notebook does; {"numpy_full_run": ...}."""
    from threadpoolctl import threadpool_limits

    print(f"full run of the NumPy MLP with the notebook's reference settings {best} ...", flush=True)
    with threadpool_limits(1, user_api="blas"):
        t = time.perf_counter()
        params, history = ref["train"](X, Y, best["layer_dims"], best["epochs"], best["batch_size"],
                                       best["learning_rate"], best["activation"], lambd=best["lambd"],
                                       rng=np.random.default_rng(0))
        took = time.perf_counter() - t
        acc = float((ref["predict"](Xt, params, best["activation"]) == test_labels).mean())
    target = TARGETS["numpy_mlp"]
    print(f"  NumPy MLP: test accuracy {acc:.2%} in {took:.0f} s", flush=True)
    return {"numpy_full_run": {"hyperparameters": best, "blas_threads": 1,
                               "seconds": took, "loss_per_epoch": history["epoch_loss"],
                               "minibatches": len(history["batch_loss"]),
                               "test_accuracy": acc, "target": target, "met": acc >= target}}


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


def print_full_runs(result: dict, kept: bool) -> None:
    """The Markdown table of the full runs in `result` (kept: they come from an earlier run)."""
    if not any(k in result for k in FULL_RUNS):
        return
    print()
    print("| full run (notebook's reference hyperparameters) | test accuracy | target | met | seconds |")
    print("|---|---:|---:|---|---:|")
    for key, label in (("numpy_full_run", "NumPy MLP (SGD)"), ("pytorch_full_run", "PyTorch MLP (Adam)"),
                       ("cnn_full_run", "PyTorch CNN (Adam)")):
        if key in result:
            r = result[key]
            print(f"| {label} | {r['test_accuracy']:.2%} | >= {r['target']:.1%} | "
                  f"{'yes' if r['met'] else 'NO'} | {r['seconds']:.0f} |")
    if kept:
        print("(full runs kept from the earlier run recorded in the file)")
