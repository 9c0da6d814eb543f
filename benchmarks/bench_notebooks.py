"""Benchmark: how long each notebook takes, run in full by a student and under the autograder.

    python -m benchmarks.bench_notebooks                       # every source/<ps>/*.ipynb
    python -m benchmarks.bench_notebooks ps5                   # the notebooks of one assignment
    python -m benchmarks.bench_notebooks ps5/mnist_numpy source/ps2/building_blocks.ipynb
    python -m benchmarks.bench_notebooks --skip-full ps1       # autograde time only (or --skip-autograde)

For each notebook, one after the other (never two at once):

  full run   the source notebook executed top to bottom with nbclient in a
             scratch copy of its folder, NBGRADER_EXECUTION unset (so the
             training runs in full), like a student's "Restart Kernel and Run
             All Cells".  The source notebook holds the reference solutions and
             also runs the hidden tests, so this is a little more than a
             student's run: an upper bound.
  autograde  `nbgrader autograde <ps> --notebook <name>` of the reference
             solution handed in (dlcourse.authoring.examples) in a scratch course
             (dlcourse.course.copy_course + release), with the course's
             nbgrader_config.py: sandboxed kernel, NBGRADER_EXECUTION set, as
             in real grading.  Wall time of the whole command, and the score.

Targets come from the assignments' issues (TARGETS).  The load average is
recorded before and after every measurement: other jobs share the cores, so
a time over its target on a busy machine may be the machine, not the notebook.

Results are merged into reports/bench_notebooks.json (one entry per notebook,
each with its own date and load) and reports/bench_notebooks.md is rewritten
from all entries.  Exit status 1 if a measured notebook misses a target.
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

from dlcourse import course as C
from dlcourse.authoring.release import release

ROOT = C.ROOT
OUT = ROOT / "reports" / "bench_notebooks.md"

# Seconds, from the issues (None: the issue sets no target).
TARGETS = {
    "ps1": {"issue": 2, "autograde_s": None, "full_run_s": None},
    "ps2": {"issue": 3, "autograde_s": 60, "full_run_s": 3 * 60},
    "ps3": {"issue": 4, "autograde_s": 90, "full_run_s": 10 * 60},
    "ps4": {"issue": 5, "autograde_s": 90, "full_run_s": 5 * 60},
    "ps5": {"issue": 6, "autograde_s": 90, "full_run_s": 10 * 60},
}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def resolve(names: list[str]) -> list[Path]:
    """Source notebooks named by path, <ps>/<stem> or <ps>; all of them if names is empty."""
    if not names:
        return sorted((ROOT / "source").glob("*/*.ipynb"))
    found = []
    for name in names:
        p = Path(name)
        candidates = [p, ROOT / p, ROOT / "source" / p, ROOT / "source" / p.with_suffix(".ipynb")]
        hit = next((c for c in candidates if c.is_file() and c.suffix == ".ipynb"), None)
        if hit is None and (ROOT / "source" / name).is_dir():
            found += sorted((ROOT / "source" / name).glob("*.ipynb"))
            continue
        if hit is None:
            raise SystemExit(f"no such notebook: {name} (give source/<ps>/<name>.ipynb, <ps>/<name> or <ps>)")
        found.append(hit.resolve())
    return list(dict.fromkeys(found))


def _cell_seconds(cell) -> float | None:
    from datetime import datetime

    ex = cell.get("metadata", {}).get("execution", {})
    start, end = ex.get("iopub.status.busy"), ex.get("shell.execute_reply")
    if not start or not end:
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def full_run(nb_path: Path, cell_timeout: int) -> dict:
    """Execute the source notebook in full in a copy of its folder; seconds, error, slowest cells."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    env_before = os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ["PATH"] = C.venv_env()["PATH"]
    res = {"load_before": _load(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset")}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-nb-") as tmp:
            for f in nb_path.parent.iterdir():  # data files and sibling notebooks, as a student has them
                if f.is_file():
                    shutil.copy(f, tmp)
            nb = nbformat.read(Path(tmp) / nb_path.name, as_version=4)
            client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                                    resources={"metadata": {"path": tmp}})
            t = time.perf_counter()
            try:
                client.execute()
                res["error"] = None
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
                lines = [ln for ln in str(e).splitlines() if ln.strip()]
                res["error"] = f"{type(e).__name__}: {lines[-1][:300] if lines else ''}"
            res["seconds"] = time.perf_counter() - t
            cells = []
            for i, cell in enumerate(nb.cells):
                s = _cell_seconds(cell) if cell.cell_type == "code" else None
                if s is not None:
                    gid = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id")
                    first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
                    cells.append({"cell": i, "id": gid, "first_line": first[:80], "seconds": round(s, 2)})
            res["slowest_cells"] = sorted(cells, key=lambda c: -c["seconds"])[:3]
    finally:
        if env_before is not None:
            os.environ["NBGRADER_EXECUTION"] = env_before
    res["load_after"] = _load()
    return res


def autograde_runs(ps: str, stems: list[str]) -> dict[str, dict]:
    """Autograde the reference hand-in of each notebook in a scratch course; {stem: result}."""
    from nbgrader.api import Gradebook

    from dlcourse.authoring.examples import write_submissions

    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        course = C.copy_course(Path(tmp) / "course", [ps])
        release(course, [ps])
        write_submissions(course, [ps], students=("reference",))
        for stem in stems:
            res = {"load_before": _load()}
            t = time.perf_counter()
            proc = C.nbgrader(course, "autograde", ps, "--force", f"--notebook={stem}", check=False)
            res["seconds"] = time.perf_counter() - t
            res["load_after"] = _load()
            graded = (course / "autograded" / "reference" / ps / f"{stem}.ipynb").exists()
            last = next((line for line in reversed((proc.stdout + proc.stderr).splitlines()) if line.strip()), "")
            res["error"] = None if graded and proc.returncode == 0 else \
                f"not graded: nbgrader exited {proc.returncode} ({last.strip()[:200]})"
            try:
                with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
                    sub = gb.find_submission_notebook(stem, ps, "reference")
                    res["score"], res["max_score"] = sub.code_score, sub.max_code_score  # autograded points
            except Exception as e:  # not graded: no submission in the gradebook
                res["score"], res["max_score"] = None, None
                res["error"] = res["error"] or f"no grades ({type(e).__name__})"
            out[stem] = res
    return out


def _met(seconds, target, error) -> bool | None:
    if target is None:
        return None
    return error is None and seconds is not None and seconds < target


def bench(notebooks: list[Path], do_full: bool, do_autograde: bool, cell_timeout: int) -> dict[str, dict]:
    entries: dict[str, dict] = {}
    by_ps: dict[str, list[Path]] = {}
    for nb in notebooks:
        by_ps.setdefault(nb.parent.name, []).append(nb)
    for ps, nbs in by_ps.items():
        target = TARGETS.get(ps, {"issue": None, "autograde_s": None, "full_run_s": None})
        for nb in nbs:
            key = f"{ps}/{nb.stem}"
            entries[key] = {"targets": target}
            if do_full:
                print(f"{key}: full run ...", flush=True)
                r = full_run(nb, cell_timeout)
                r["date"] = time.strftime("%Y-%m-%d %H:%M")
                r["met"] = _met(r["seconds"], target["full_run_s"], r["error"])
                entries[key]["full_run"] = r
                print(f"  {r['seconds']:.0f} s{' ERROR ' + r['error'] if r['error'] else ''} "
                      f"(load {r['load_before'][0]} -> {r['load_after'][0]})", flush=True)
        if do_autograde:
            print(f"{ps}: autograding the reference hand-in of {', '.join(nb.stem for nb in nbs)} ...", flush=True)
            for stem, r in autograde_runs(ps, [nb.stem for nb in nbs]).items():
                r["date"] = time.strftime("%Y-%m-%d %H:%M")
                r["met"] = _met(r["seconds"], target["autograde_s"], r["error"])
                entries[f"{ps}/{stem}"]["autograde"] = r
                print(f"  {stem}: {r['seconds']:.0f} s, score {r['score']} / {r['max_score']}"
                      f"{' ERROR ' + r['error'] if r['error'] else ''}", flush=True)
    return entries


def _fmt_s(s) -> str:
    if s is None:
        return "–"
    return f"{s:.0f} s" if s < 120 else f"{s:.0f} s ({s / 60:.1f} min)"


def _fmt_target(t) -> str:
    return "n/a" if t is None else f"< {t} s" if t < 120 else f"< {t // 60} min"


def _fmt_met(m) -> str:
    return {None: "n/a", True: "met", False: "**NOT met**"}[m]


def markdown(report: dict) -> str:
    nbs = report["notebooks"]
    lines = [
        "# Notebook run times",
        "",
        f"`make bench` (`python -m benchmarks.bench_notebooks`) on {report['machine']}, {report['cores']} cores.",
        "Each notebook is measured twice, one measurement at a time:",
        "",
        "- **full run**: the source notebook (reference solutions; it also runs the hidden tests, so",
        "  a little more than a student's run) executed top to bottom with nbclient, NBGRADER_EXECUTION",
        "  unset: a student's *Restart Kernel and Run All Cells*, full training included;",
        "- **autograde**: `nbgrader autograde <ps> --notebook <name>` of the reference solution as a",
        "  hand-in in a scratch course (sandboxed kernel, NBGRADER_EXECUTION set): the whole command,",
        "  and the reference's autograded points (written answers are graded by hand, not counted).",
        "",
        "Targets are those of each assignment's issue.  **Load** is the 1-minute load average before →",
        "after the measurement: the cores are shared with other jobs, and a load above the number of",
        "cores means the notebook got less than the whole machine (times are then upper bounds).",
        "",
        "| notebook | full run | target | | load | autograde | target | | load | reference (autograded points) | measured |",
        "|---|---:|---:|---|---|---:|---:|---|---|---:|---|",
    ]
    for key in sorted(nbs):
        e = nbs[key]
        t = e["targets"]
        f, a = e.get("full_run", {}), e.get("autograde", {})
        fl = f"{f['load_before'][0]} → {f['load_after'][0]}" if f else ""
        al = f"{a['load_before'][0]} → {a['load_after'][0]}" if a else ""
        score = f"{a['score']:g} / {a['max_score']:g}" if a.get("score") is not None else "–"
        dates = sorted({d for d in (f.get("date"), a.get("date")) if d})
        lines.append(
            f"| {key} | {_fmt_s(f.get('seconds'))}{' (error)' if f.get('error') else ''} | "
            f"{_fmt_target(t['full_run_s'])} | {_fmt_met(f.get('met')) if f else ''} | {fl} | "
            f"{_fmt_s(a.get('seconds'))}{' (error)' if a.get('error') else ''} | "
            f"{_fmt_target(t['autograde_s'])} | {_fmt_met(a.get('met')) if a else ''} | {al} | "
            f"{score} | {', '.join(dates)} |")
    problems = []
    for key in sorted(nbs):
        e = nbs[key]
        for part, label in (("full_run", "full run"), ("autograde", "autograde")):
            r = e.get(part)
            if r and r.get("error"):
                problems.append(f"- {key}, {label}: {r['error']}")
            elif r and r.get("met") is False:
                problems.append(f"- {key}, {label}: {r['seconds']:.0f} s, over the target "
                                f"{_fmt_target(e['targets'][part + '_s'])} (load {r['load_before']} → "
                                f"{r['load_after']})")
    lines += ["", "## Targets missed or runs failed", ""] + (problems or ["None."])
    lines += ["", "## Slowest cells of each full run", ""]
    for key in sorted(nbs):
        cells = nbs[key].get("full_run", {}).get("slowest_cells") or []
        if cells:
            lines.append(f"- {key}: " + "; ".join(
                f"cell {c['cell']} (`{c['first_line'].replace('`', '')}`) {c['seconds']:.0f} s" for c in cells))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="source/<ps>/<name>.ipynb, <ps>/<name> or <ps> (default: all)")
    ap.add_argument("--skip-full", action="store_true", help="no full runs")
    ap.add_argument("--skip-autograde", action="store_true", help="no autograde runs")
    ap.add_argument("--cell-timeout", type=int, default=1800, help="seconds per cell in a full run (default 1800)")
    ap.add_argument("--out", type=Path, default=OUT, help="Markdown report (the .json goes next to it)")
    args = ap.parse_args(argv)

    notebooks = resolve(args.notebooks)
    json_path = args.out.with_suffix(".json")
    report = json.loads(json_path.read_text()) if json_path.exists() else {}
    report.setdefault("notebooks", {})
    load0 = _load()
    entries = bench(notebooks, not args.skip_full, not args.skip_autograde, args.cell_timeout)
    for key, new in entries.items():
        report["notebooks"].setdefault(key, {}).update(new)
    report.update(machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
                  cores=os.cpu_count(), python=platform.python_version(),
                  last_run={"date": time.strftime("%Y-%m-%d %H:%M"), "notebooks": sorted(entries),
                            "load_before": load0, "load_after": _load()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=1) + "\n")
    args.out.write_text(markdown(report))
    print(markdown(report))
    print(f"written: {args.out} (+ .json)")
    missed = [k for k, e in entries.items() for part in ("full_run", "autograde")
              if e.get(part, {}).get("met") is False or e.get(part, {}).get("error")]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
