"""Run All reaches the end of every student notebook as released (nothing written yet), as
JupyterLab's *Run All* does: a cell tagged `raises-exception` may fail and the run goes on;
any other cell that raises stops it.  So the self-check's advice ("Restart Kernel and Run All
Cells") can always be followed and the hand-in PDF shows every output the student has."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "release").glob("*/*.ipynb"))


@pytest.mark.parametrize("release_nb", [pytest.param(p, id=f"{p.parent.name}/{p.stem}",
                                                     marks=pytest.mark.xdist_group(p.stem)) for p in NOTEBOOKS])
def test_run_all_reaches_the_end_of_a_blank_notebook(release_nb, tmp_path, monkeypatch):
    folder = tmp_path / release_nb.parent.name
    shutil.copytree(release_nb.parent, folder, ignore=shutil.ignore_patterns("*.zip", ".ipynb_checkpoints"))
    nb = nbformat.read(folder / release_nb.name, as_version=4)
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")    # the short runs, as when graded
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except CellExecutionError as e:
        index = next((i for i, c in enumerate(nb.cells)
                      if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        cell = nb.cells[index] if index is not None else None
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", cell.id) if cell else "?"
        pytest.fail(f"Run All stopped at cell {index} ({gid}): {str(e).strip().splitlines()[-1][:300]}")
    errors = [c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert all("raises-exception" in c.metadata.get("tags", []) for c in errors)
