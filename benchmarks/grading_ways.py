"""The three ways bench_grading grades one class: serial nbgrader, the course's parallel grader,
and the notebooks executed by nbclient alone (the floor)."""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from pathlib import Path

from dlcourse import course as C
from dlcourse.grading.run import GradingRun, Options
from dlcourse.grading.scores import scores


def serial(course: Path, ps: str) -> dict:
    """`nbgrader autograde` + `generate_feedback` + `export`, as an instructor would run them."""
    t = time.perf_counter()
    C.nbgrader(course, "autograde", ps, "--force", check=False)
    autograde = time.perf_counter() - t
    t1 = time.perf_counter()
    C.nbgrader(course, "generate_feedback", ps, "--force", check=False)
    C.nbgrader(course, "export", "--to", str(course / "grades.csv"), check=False)
    graded = {p.parent.parent.name for p in (course / "autograded").glob(f"*/{ps}/*.ipynb")}
    students = {p.parent.name for p in (course / "submitted").glob(f"*/{ps}")}
    return {"serial_s": time.perf_counter() - t, "serial_autograde_s": autograde,
            "serial_feedback_export_s": time.perf_counter() - t1, "serial_failed": sorted(students - graded),
            "serial_scores": sorted((r["student"], r["auto"]) for r in scores(course))}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / max(len(values), 1)


def parallel(course: Path, ps: str, workers: int) -> dict:
    """`dlcourse grade` (in this process, as the bench always measured it), and where its time went."""
    out = GradingRun(course, ps, Options(workers=workers, force=True, progress=False)).run()
    jobs = out.timings["jobs"].values()
    phases = ("scratch", "autograde", "feedback", "results")
    return {"parallel_s": out.seconds, "parallel_failed": sorted(out.failed),
            "parallel_job_s_mean": _mean(j["seconds"] for j in jobs),
            "job_phases_s": {p: _mean(j.get(p, 0.0) for j in jobs) for p in phases},
            "parallel_setup_s": out.timings["setup"], "parallel_write_s_mean": _mean(out.timings["write"]),
            "parallel_finish_s": out.timings["finish"],
            "scores": sorted((r["student"], r["auto"]) for r in scores(course))}


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


def nbclient_alone(course: Path, ps: str, n: int, workers: int) -> dict:
    """The serial run's autograded notebooks (hidden tests in), outputs cleared, executed `workers` at a time."""
    nbs = [str(p) for p in sorted((course / "autograded").glob(f"*/{ps}/*.ipynb"))]
    assert len(nbs) == n, f"serial grading produced {len(nbs)} of {n} autograded notebooks"
    t = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        per = list(pool.map(_execute, nbs))
    return {"nbclient_s": time.perf_counter() - t, "nbclient_nb_s_mean": _mean(per)}
