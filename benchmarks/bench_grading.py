"""Benchmark: the course's parallel grader against serial nbgrader, side by side, at two class sizes.

    python -m benchmarks.bench_grading [--ps ps1] [--n 10 24] [--workers N] [--out reports/bench_grading.md]

For each size N (default 10 and 24), on a scratch copy of the course, N hand-ins of one
assignment (the reference solution and the typical-mistakes student of
dlcourse/authoring/mistakes, alternately, copied under ids s01, s02, ...) are graded three
ways, one after another:

  serial     `nbgrader autograde <ps>` + `nbgrader generate_feedback <ps>` +
             `nbgrader export`: plain nbgrader, one hand-in after another
  parallel   `dlcourse grade` (dlcourse.grading.run) with N workers (default: cores), which
             also writes feedback and grades.csv
  nbclient   each hand-in notebook just executed with nbclient, the same number at a time as
             the parallel grader -- the floor: no nbgrader, no sandbox, no gradebook.  It runs
             the cells grading runs: the hand-in with the hidden tests put back (the serial
             run's autograded notebook, outputs cleared), so the overhead counts what grading
             adds, not the hidden tests themselves

speedup = serial / parallel; overhead = parallel / nbclient (what grading adds to running the
students' code).  The three ways of one size run back to back, so on a shared machine their
ratios are measured under the same load (the report gives the load average).  Where one
grading job's time goes: its phases (run/job.py: scratch course, autograde, feedback page,
results) and the grader's own bookkeeping per hand-in.  Writes <out> (Markdown) and
<out>.json; exits 1 when a goal is missed at any size (speedup < 1.8, overhead > 1.3) or the
parallel grader's scores differ from serial nbgrader's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.grading_ways import nbclient_alone, parallel, serial
from dlcourse import course as C
from dlcourse.authoring.examples import write_submissions
from dlcourse.authoring.release import release

SIZES = (10, 24)     # hand-ins: the class sizes the report (quoted in the README) is measured at
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


def bench(ps: str, n: int, workers: int) -> dict:
    """The three ways, for n hand-ins; seconds, ratios and the load around them."""
    os.environ["PATH"] = C.venv_env()["PATH"]
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        (base / "serial").mkdir()
        ids = make_course(base / "serial", ps, n)
        shutil.copytree(base / "serial", base / "parallel")
        res = {"ps": ps, "handins": n, "workers": workers, "cores": os.cpu_count(),
               "machine": f"{platform.machine()} {platform.processor() or ''}".strip(), "students": ids}
        res.update(serial(base / "serial", ps))
        res.update(parallel(base / "parallel", ps, workers))
        res["same_scores"] = res.pop("scores") == res.pop("serial_scores")
        res.update(nbclient_alone(base / "serial", ps, n, workers))
    res["speedup"] = res["serial_s"] / res["parallel_s"]
    res["speedup_autograde_only"] = res["serial_autograde_s"] / res["parallel_s"]
    res["overhead"] = res["parallel_s"] / res["nbclient_s"]
    for way in ("serial", "parallel", "nbclient"):
        res[f"{way}_per_handin_s"] = res[f"{way}_s"] / n
    res["load_before"] = [round(x, 2) for x in load0]
    res["load_after"] = [round(x, 2) for x in os.getloadavg()]
    res["date"] = time.strftime("%Y-%m-%d %H:%M")
    return res


def goals(r: dict) -> tuple[bool, bool]:
    """(speedup goal met, overhead goal met) for one size."""
    return r["speedup"] >= SPEEDUP_GOAL, r["overhead"] <= OVERHEAD_GOAL


def _section(r: dict) -> str:
    ok = lambda good: "met" if good else "NOT met"  # noqa: E731
    speedup_ok, overhead_ok = goals(r)
    busy = (" (other jobs were running: absolute times are noisy; the ratios compare runs made "
            "back to back)" if max(r["load_before"][0], r["load_after"][0]) > 0.5 * (r["cores"] or 1) else "")
    phases = ", ".join(f"{k} {v:.2f} s" for k, v in r["job_phases_s"].items())
    return f"""## {r['handins']} hand-ins

{r['date']}, {r['workers']} grading workers.  Load average before / after: {r['load_before']} / {r['load_after']}{busy}.

| way | what runs | wall time | per hand-in |
|---|---|---:|---:|
| serial nbgrader | `nbgrader autograde` + `generate_feedback` + `export` | {r['serial_s']:.1f} s | {r['serial_per_handin_s']:.1f} s |
| (of which autograde) | `nbgrader autograde {r['ps']}` | {r['serial_autograde_s']:.1f} s | {r['serial_autograde_s'] / r['handins']:.1f} s |
| parallel (this course) | `dlcourse grade {r['ps']} --workers {r['workers']}`: autograde, feedback, gradebook merge, export | {r['parallel_s']:.1f} s | {r['parallel_per_handin_s']:.1f} s |
| nbclient alone | each notebook as graded (hidden tests included) executed, {r['workers']} at a time, nothing else | {r['nbclient_s']:.1f} s | {r['nbclient_per_handin_s']:.1f} s |

- **Speedup** (serial / parallel): **{r['speedup']:.2f}x** (goal >= {SPEEDUP_GOAL}x: {ok(speedup_ok)});
  against serial autograde alone (no feedback): {r['speedup_autograde_only']:.2f}x.
- **Overhead** (parallel grading / executing the notebooks alone): **{r['overhead']:.2f}x**
  (goal <= {OVERHEAD_GOAL}x: {ok(overhead_ok)}).  A grading job took {r['parallel_job_s_mean']:.1f} s on
  average ({phases}); one notebook alone {r['nbclient_nb_s_mean']:.1f} s.  The grader's own work:
  {r['parallel_setup_s']:.1f} s before the first job, {r['parallel_write_s_mean']:.2f} s per hand-in writing
  results, {r['parallel_finish_s']:.1f} s at the end (grades.csv, scores).
- Same scores serial and parallel: {r['same_scores']}.  Not graded: serial {r['serial_failed'] or 'none'},
  parallel {r['parallel_failed'] or 'none'}.
"""


def markdown(runs: list[dict]) -> str:
    r0 = runs[0]
    sizes = " and ".join(str(r["handins"]) for r in runs)
    return (f"# Grading benchmark ({r0['ps']}, {sizes} hand-ins)\n\n"
            f"`make bench` (`python -m benchmarks.bench_grading`), {r0['cores']} cores ({r0['machine']}).\n"
            "Hand-ins: the reference solution and the typical-mistakes student of dlcourse/authoring/mistakes,\n"
            "alternately.  Every way runs the same notebooks.\n\n" + "\n".join(_section(r) for r in runs))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ps", default="ps1")
    ap.add_argument("--n", type=int, nargs="+", default=list(SIZES), help=f"class sizes (default {SIZES})")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=C.ROOT / "reports" / "bench_grading.md")
    args = ap.parse_args(argv)
    runs = [bench(args.ps, n, args.workers) for n in args.n]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(runs))
    args.out.with_suffix(".json").write_text(json.dumps({"runs": runs}, indent=1))
    print(markdown(runs))
    print(f"written: {args.out} (+ .json)")
    missed = []
    for r in runs:
        speedup_ok, overhead_ok = goals(r)
        missed += ([f"{r['handins']} hand-ins: speedup {r['speedup']:.2f}x < {SPEEDUP_GOAL}x"] * (not speedup_ok)
                   + [f"{r['handins']} hand-ins: overhead {r['overhead']:.2f}x > {OVERHEAD_GOAL}x"] * (not overhead_ok)
                   + [f"{r['handins']} hand-ins: parallel scores differ from serial nbgrader's"] * (not r["same_scores"]))
    if missed:
        print("bench_grading: goal missed: " + "; ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
