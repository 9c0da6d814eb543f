"""Benchmark: the course's parallel grader against serial nbgrader, side by side.

    python -m benchmarks.bench_grading [--ps ps1] [--n 24] [--workers N] [--out reports/bench_grading.md]

On a scratch copy of the course, N hand-ins of one assignment (the reference
solution and the typical-mistakes student of dlcourse/authoring/mistakes, alternately,
copied under ids s01, s02, ...) are graded three ways, one after another:

  serial     `nbgrader autograde <ps>` + `nbgrader generate_feedback <ps>` +
             `nbgrader export`: plain nbgrader, one hand-in after another
  parallel   dlcourse.grading.run with --workers N (default: cores), which also
             writes feedback and grades.csv
  nbclient   each hand-in notebook just executed with nbclient, the same
             number at a time as the parallel grader -- the floor: no
             nbgrader, no sandbox, no gradebook.  It runs the cells grading
             runs: the hand-in with the hidden tests put back (the serial
             run's autograded notebook, outputs cleared), so the overhead
             counts what grading adds, not the hidden tests themselves

speedup = serial / parallel; overhead = parallel / nbclient (what grading
adds to running the students' code).  Writes <out> (Markdown) and <out>.json;
exits 1 when a goal is missed (speedup < 1.8, overhead > 1.3) or the parallel
grader's scores differ from serial nbgrader's.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from dlcourse import course as C
from dlcourse.grading import run as G
from dlcourse.authoring.examples import write_submissions
from dlcourse.grading.scores import scores
from dlcourse.grading.outcomes import failures_from_log
from dlcourse.authoring.release import release

DEFAULT_N = 24       # hand-ins: the size reports/bench_grading.md (quoted in the README) is measured at
SPEEDUP_GOAL = 1.8   # serial / parallel, at least
OVERHEAD_GOAL = 1.3  # parallel / nbclient, at most


def make_course(path: Path, ps: str, n: int) -> list[str]:
    shutil.copy(C.ROOT / "nbgrader_config.py", path)
    shutil.copytree(C.ROOT / "source" / ps, path / "source" / ps)
    release(path, [ps])
    write_submissions(path, [ps], students=("reference", "mistakes"))
    ids = []
    for i in range(n):
        sid = f"s{i + 1:02d}"
        shutil.copytree(path / "submitted" / ("reference", "mistakes")[i % 2], path / "submitted" / sid)
        ids.append(sid)
    for s in ("reference", "mistakes"):
        shutil.rmtree(path / "submitted" / s)
    return ids


def _execute(nb_path: str) -> float:
    """Run one notebook top to bottom with nbclient as the autograder would; seconds."""
    import nbformat
    from nbclient import NotebookClient

    # The kernel's environment as under grading: NBGRADER_EXECUTION, one BLAS thread
    # (nbgrader_config.py), and matplotlib's default (inline) backend -- figures are
    # rendered into the notebook, as grading renders them for feedback and formgrader.
    os.environ.update(NBGRADER_EXECUTION="autograde", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for f in Path(nb_path).parent.iterdir():
            if f.is_file():
                shutil.copy(f, tmp)
        t = time.perf_counter()
        NotebookClient(nb, timeout=180, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": tmp}}).execute()
        return time.perf_counter() - t


def bench(ps: str, n: int, workers: int) -> dict:
    os.environ["PATH"] = C.venv_env()["PATH"]
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        (base / "serial").mkdir()
        ids = make_course(base / "serial", ps, n)
        shutil.copytree(base / "serial", base / "parallel")
        res = {"ps": ps, "handins": n, "workers": workers, "cores": os.cpu_count(),
               "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
               "students": ids}

        serial = base / "serial"
        t = time.perf_counter()
        proc = C.nbgrader(serial, "autograde", ps, "--force", check=False)
        res["serial_autograde_s"] = time.perf_counter() - t
        t1 = time.perf_counter()
        C.nbgrader(serial, "generate_feedback", ps, "--force", check=False)
        C.nbgrader(serial, "export", "--to", str(serial / "grades.csv"), check=False)
        res["serial_feedback_export_s"] = time.perf_counter() - t1
        res["serial_s"] = time.perf_counter() - t
        res["serial_failed"] = sorted(failures_from_log(proc.stdout + proc.stderr))

        out = G.grade_class(base / "parallel", ps, workers=workers, force=True, progress=False)
        res["parallel_s"] = out["seconds"]
        res["parallel_failed"] = sorted(out["failed"])
        job_s = json.loads((base / "parallel" / ".grading" / f"{ps}.json").read_text())["handins"]
        res["parallel_job_s_mean"] = sum(v["seconds"] for v in job_s.values()) / max(len(job_s), 1)
        same = {(r["student"], r["auto"]) for r in scores(serial)} == \
               {(r["student"], r["auto"]) for r in scores(base / "parallel")}
        res["same_scores"] = same

        nbs = [str(p) for p in sorted((serial / "autograded").glob(f"*/{ps}/*.ipynb"))]
        assert len(nbs) == n, f"serial grading produced {len(nbs)} of {n} autograded notebooks"
        t = time.perf_counter()
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            per = list(pool.map(_execute, nbs))
        res["nbclient_s"] = time.perf_counter() - t
        res["nbclient_nb_s_mean"] = sum(per) / len(per)
    res["speedup"] = res["serial_s"] / res["parallel_s"]
    res["speedup_autograde_only"] = res["serial_autograde_s"] / res["parallel_s"]
    res["overhead"] = res["parallel_s"] / res["nbclient_s"]
    res["serial_per_handin_s"] = res["serial_s"] / n
    res["parallel_per_handin_s"] = res["parallel_s"] / n
    res["nbclient_per_handin_s"] = res["nbclient_s"] / n
    res["load_before"] = [round(x, 2) for x in load0]
    res["load_after"] = [round(x, 2) for x in os.getloadavg()]
    res["date"] = time.strftime("%Y-%m-%d %H:%M")
    return res


def markdown(r: dict) -> str:
    ok = lambda good: "met" if good else "NOT met"  # noqa: E731
    speedup_ok, overhead_ok = goals(r)
    busy = (" (other jobs were running: absolute times are noisy)"
            if r["load_before"][0] > 0.5 * (r["cores"] or 1) else "")
    return f"""# Grading benchmark ({r['ps']}, {r['handins']} hand-ins)

`make bench` (`python -m benchmarks.bench_grading`), {r['date']}, {r['cores']} cores ({r['machine']}),
{r['workers']} grading workers.  Load average before / after: {r['load_before']} / {r['load_after']}{busy}.

Hand-ins: the reference solution and the typical-mistakes student of dlcourse/authoring/mistakes,
alternately, {r['handins']} in all.  Every way runs the same notebooks.

| way | what runs | wall time | per hand-in |
|---|---|---:|---:|
| serial nbgrader | `nbgrader autograde` + `generate_feedback` + `export` | {r['serial_s']:.1f} s | {r['serial_per_handin_s']:.1f} s |
| (of which autograde) | `nbgrader autograde {r['ps']}` | {r['serial_autograde_s']:.1f} s | {r['serial_autograde_s'] / r['handins']:.1f} s |
| parallel (this course) | `dlcourse grade {r['ps']} --workers {r['workers']}`: autograde, feedback, gradebook merge, export | {r['parallel_s']:.1f} s | {r['parallel_per_handin_s']:.1f} s |
| nbclient alone | each notebook as graded (hidden tests included) executed, {r['workers']} at a time, nothing else | {r['nbclient_s']:.1f} s | {r['nbclient_per_handin_s']:.1f} s |

- **Speedup** (serial / parallel): **{r['speedup']:.2f}x** (goal >= {SPEEDUP_GOAL}x: {ok(speedup_ok)});
  against serial autograde alone (no feedback): {r['speedup_autograde_only']:.2f}x.
- **Overhead** (parallel grading / executing the notebooks alone): **{r['overhead']:.2f}x**
  (goal <= {OVERHEAD_GOAL}x: {ok(overhead_ok)}).  A grading job (sandboxed kernel, autograde, feedback
  page) took {r['parallel_job_s_mean']:.1f} s on average; one notebook alone {r['nbclient_nb_s_mean']:.1f} s.
- Same scores serial and parallel: {r['same_scores']}.  Not graded: serial {r['serial_failed'] or 'none'},
  parallel {r['parallel_failed'] or 'none'}.
"""


def goals(r: dict) -> tuple[bool, bool]:
    """(speedup goal met, overhead goal met)."""
    return r["speedup"] >= SPEEDUP_GOAL, r["overhead"] <= OVERHEAD_GOAL


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ps", default="ps1")
    ap.add_argument("--n", type=int, default=DEFAULT_N, help=f"hand-ins (default {DEFAULT_N})")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=C.ROOT / "reports" / "bench_grading.md")
    args = ap.parse_args(argv)
    r = bench(args.ps, args.n, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(r))
    args.out.with_suffix(".json").write_text(json.dumps(r, indent=1))
    print(markdown(r))
    print(f"written: {args.out} (+ .json)")
    speedup_ok, overhead_ok = goals(r)
    missed = ([f"speedup {r['speedup']:.2f}x < {SPEEDUP_GOAL}x"] * (not speedup_ok)
              + [f"overhead {r['overhead']:.2f}x > {OVERHEAD_GOAL}x"] * (not overhead_ok)
              + ["parallel scores differ from serial nbgrader's"] * (not r["same_scores"]))
    if missed:
        print("bench_grading: goal missed: " + "; ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
