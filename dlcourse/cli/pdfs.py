"""PDFs of every reference notebook, made exactly as a student's hand-in PDF is.

    dlcourse pdfs [ps1 ps5 ...] [--out reports/pdfs]
    make pdfs

For each release notebook: the student version with the instructor's answers
filled in (dlcourse.authoring.examples.make_handin "reference"), executed in a scratch copy
of its folder under NBGRADER_EXECUTION=1 (training shrinks, as under the
autograder) with inline figures, then exported by dlcourse.handin.handin.export_pdf.
The PDFs (reports/pdfs/<ps>_<notebook>.pdf) are for looking at: maths
typeset, figures present, code wrapped, nothing clipped.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from dlcourse.handin import handin
from dlcourse.course import assignments
from dlcourse.authoring.examples import make_handin

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "reports" / "pdfs"


def execute(nb, folder: Path, timeout: int = 600):
    """Run every cell of `nb` in `folder` with inline figures and short training (NBGRADER_EXECUTION=1)."""
    from nbclient import NotebookClient

    with handin._environ({"MPLBACKEND": None, "NBGRADER_EXECUTION": "1"}), handin._quiet_kernel():
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def student_copy(release_nb: Path, dest: Path, student: str = "reference") -> Path:
    """dest/<ps>/<notebook>.ipynb: the release notebook as `student` (dlcourse.authoring.examples) hands it in,
    next to the folder's other files and notebooks (handed in alike: ps5's PyTorch notebook
    reuses the NumPy one's answers); returns the path of `release_nb`'s copy."""
    folder = dest / release_nb.parent.name
    folder.mkdir(parents=True, exist_ok=True)
    for item in release_nb.parent.iterdir():
        if item.suffix == ".ipynb":
            source_nb = ROOT / "source" / item.parent.name / item.name
            nbformat.write(make_handin(student, item, source_nb), folder / item.name)
        elif item.is_file() and item.suffix != ".zip":
            shutil.copy(item, folder)
    return folder / release_nb.name


def export_reference(release_nb: Path, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="reference-pdf-") as tmp:
        nb_path = student_copy(release_nb, Path(tmp))
        nb = execute(nbformat.read(nb_path, as_version=4), nb_path.parent)
        nbformat.write(nb, nb_path)
        pdf = out / f"{release_nb.parent.name}_{release_nb.stem}.pdf"
        out.mkdir(parents=True, exist_ok=True)
        return handin.export_pdf(nb_path, pdf, header=f"{release_nb.parent.name} / {release_nb.name} -- reference answers")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Export every reference notebook to PDF (as a hand-in would be).")
    ap.add_argument("ps", nargs="*", help="assignments (default: all)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"folder for the PDFs (default: {OUT.relative_to(ROOT)})")
    args = ap.parse_args(argv)
    names = args.ps or assignments(ROOT)
    failed = []
    try:
        handin.find_browser(), handin.find_mathjax()
        for ps in names:
            notebooks = sorted((ROOT / "release" / ps).glob("*.ipynb"))
            if not notebooks:
                raise handin.HandinError(f"release/{ps} has no notebooks (run `make notebooks`).")
            for release_nb in notebooks:
                t = time.perf_counter()
                try:
                    pdf = export_reference(release_nb, args.out)
                except CellExecutionError as e:
                    failed.append(f"release/{ps}/{release_nb.name}: a cell failed: {str(e).strip()[-600:]}")
                    print(failed[-1], file=sys.stderr)
                    continue
                print(f"{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}: "
                      f"{time.perf_counter() - t:.0f} s", flush=True)
    except handin.HandinError as e:
        print(f"PDFs not made: {e}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
