"""Example hand-ins, made from the release and source notebooks.

  reference   every answer cell filled with the instructor's solution
  blank       the student version exactly as released
  mistakes    a student with typical mistakes: every other graded function
              replaced by the first wrong answer of dlcourse/authoring/mistakes, the rest
              correct, written answers filled in
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat

from dlcourse.cells import strip_markers
from dlcourse.names import handin_zip_name

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = ("reference", "blank", "mistakes")



def _answers(source_nb) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: strip_markers(c.source)
            for c in source_nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def _mistakes() -> dict[str, dict[str, str]]:
    """{'ps1/gradient_descent.ipynb': {solution id: wrong code}}."""
    from dlcourse.authoring import mistakes as mutants

    out = {}
    for path, spec in mutants.by_notebook().items():
        wrong = {}
        for n, (cell_id, cell_spec) in enumerate(spec.items()):
            if n % 2 == 0:
                first = next(iter(mutants.entries(cell_spec, "wrong")), None)
                if first:
                    wrong[cell_id] = first[1]
        out[f"{path.parent.name}/{path.name}"] = wrong
    return out


def make_handin(student: str, release_nb: Path, source_nb: Path):
    """The notebook `student` hands in for one release notebook."""
    nb = nbformat.read(release_nb, as_version=4)
    if student == "blank":
        return nb
    answers = _answers(nbformat.read(source_nb, as_version=4))
    wrong = _mistakes().get(f"{source_nb.parent.name}/{source_nb.name}", {}) if student == "mistakes" else {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = wrong.get(gid, answers[gid])
    return nb


def write_submissions(course: Path, assignments: list[str], students=STUDENTS) -> list[Path]:
    """Write submitted/<student>/<ps>/<notebook>.ipynb (plus the data files) for each student."""
    written = []
    for ps in assignments:
        release = course / "release" / ps
        for student in students:
            dest = course / "submitted" / student / ps
            dest.mkdir(parents=True, exist_ok=True)
            for item in release.iterdir():
                if item.suffix == ".ipynb":
                    nb = make_handin(student, item, course / "source" / ps / item.name)
                    nbformat.write(nb, dest / item.name)
                    written.append(dest / item.name)
                elif item.is_file():
                    (dest / item.name).write_bytes(item.read_bytes())
            (dest / "timestamp.txt").write_text("2026-11-22 12:00:00.000000 UTC")
    return written


def write_handin_zips(course: Path, assignments: list[str], dest: Path, students=STUDENTS) -> list[Path]:
    """dest/<ps>/<notebook>_<ps>_<student>.zip for each student: the example hand-ins as students
    upload them (the notebook; these examples carry no PDF), for `dlcourse collect`."""
    written = []
    for ps in assignments:
        release = course / "release" / ps
        folder = dest / ps
        folder.mkdir(parents=True, exist_ok=True)
        for student in students:
            for item in sorted(release.glob("*.ipynb")):
                nb = make_handin(student, item, course / "source" / ps / item.name)
                path = folder / handin_zip_name(item.stem, ps, student)
                with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr(item.name, nbformat.writes(nb))
                written.append(path)
    return written
