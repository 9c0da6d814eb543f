"""notebooks/<ps>/<name>.md (MyST Markdown, jupytext) -> source/<ps>/<name>.ipynb.

    dlcourse notebooks [ps/name ...]  build every (or the named) source notebook that is out of date
    dlcourse notebooks --check      only report stale notebooks and non-canonical text sources
    dlcourse notebooks --from-source  write the text sources from source/*.ipynb (after editing
                                      a notebook in JupyterLab, e.g. with nbgrader's toolbar)

The text sources are jupytext's MyST Markdown notebooks: markdown cells are split by
``+++`` lines (with the cell's metadata as JSON after them), code cells are
```` ```{code-cell} ipython3 ```` blocks with YAML metadata.  Every cell carries nbgrader's
metadata (grade_id, points, locked, solution, ...), so the files open, run and convert back
in JupyterLab or VS Code with jupytext, and nothing is lost either way.  The build

- sets each cell's id from its nbgrader grade_id (cells without one -- free, ungraded cells --
  get ``cell-<index>``), so ids stay stable however the text is edited;
- tags every test cell ``raises-exception``, so *Run All* goes on past a failing test, and
  every answer cell whose student stub raises where it stands (a ``### BEGIN SOLUTION`` at the
  top level, not inside a function: nbgrader's stub there is a bare ``raise
  NotImplementedError()``), and every provided cell that uses what an answer cell defines
  (directly or through another provided cell: a training run calling the student's function), so
  an answer not yet written stops *Run All* nowhere but at the answer cells themselves;
- drops jupytext's own header metadata and checks the notebook is valid nbformat.

`--check` also fails when a text source is not what jupytext writes for its notebook
(run `dlcourse notebooks --from-source` after a build to normalise it).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from dlcourse.cells import cell_names, is_test_cell, nbgrader_meta
from dlcourse.course import ROOT

TEXT_DIR = ROOT / "notebooks"
SOURCE_DIR = ROOT / "source"
FORMAT = "md:myst"
RUN_ALL_GOES_ON = "raises-exception"   # JupyterLab's Run All does not stop at a cell with this tag
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3", "codemirror_mode": {"name": "ipython", "version": 3},
                 "file_extension": ".py", "mimetype": "text/x-python"}


class NotebookSyntaxError(ValueError):
    pass


def from_text(text: str, name: str = "<notebook>") -> nbformat.NotebookNode:
    """The source notebook a MyST text source describes (see the module doc)."""
    try:
        nb = jupytext.reads(text, fmt=FORMAT)
    except Exception as e:  # jupytext's parse errors have many types
        raise NotebookSyntaxError(f"{name}: not a MyST notebook: {e}") from None
    seen: set[str] = set()
    uses_answers = cells_using_answers(nb.cells)
    for n, cell in enumerate(nb.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if "nbgrader" in cell.metadata and not gid:
            raise NotebookSyntaxError(f"{name}: cell {n} has nbgrader metadata without a grade_id")
        if gid in seen:
            raise NotebookSyntaxError(f"{name}: grade_id {gid!r} used twice")
        seen.add(gid)
        cell["id"] = gid or f"cell-{n:03d}"
        if is_test_cell(cell) or stub_raises_at_top_level(cell) or n in uses_answers:
            tags = cell.metadata.setdefault("tags", [])
            if RUN_ALL_GOES_ON not in tags:
                tags.append(RUN_ALL_GOES_ON)
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def cells_using_answers(cells) -> set[int]:
    """Indices of the provided code cells (neither answer nor test) that read a name an answer cell
    defines, or a name such a provided cell defines (a dataflow over the cells' names)."""
    dirty: set[str] = set()
    out = set()
    for n, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        try:
            assigned, read = cell_names(cell.source)
        except SyntaxError:
            continue
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            dirty |= assigned
        elif not is_test_cell(cell) and read & dirty:
            out.add(n)
            dirty |= assigned
    return out


def stub_raises_at_top_level(cell) -> bool:
    """An answer cell whose released stub raises when run (its solution region is not inside a def)."""
    return (cell.cell_type == "code" and bool(nbgrader_meta(cell).get("solution"))
            and bool(re.search(r"^### BEGIN SOLUTION", cell.source, re.M)))


def to_text(nb: nbformat.NotebookNode) -> str:
    """The MyST text source of a notebook (outputs and cell ids are not kept: ids come from grade_ids)."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        cell.pop("attachments", None)
    nb.metadata = {"kernelspec": KERNELSPEC}
    return jupytext.writes(nb, fmt=FORMAT)


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def targets(names: list[str] | None = None) -> list[tuple[Path, Path]]:
    """(text source, notebook) pairs for every notebook of the course, or those named `ps/name`."""
    pairs = [(md, SOURCE_DIR / md.parent.name / (md.stem + ".ipynb")) for md in sorted(TEXT_DIR.glob("*/*.md"))]
    if names:
        wanted = {n.removesuffix(".md").removesuffix(".ipynb").strip("/") for n in names}
        unknown = wanted - {f"{md.parent.name}/{md.stem}" for md, _ in pairs}
        if unknown:
            raise NotebookSyntaxError(f"no notebook {', '.join(sorted(unknown))} in notebooks/ (names are ps/name)")
        pairs = [(md, nb) for md, nb in pairs if f"{md.parent.name}/{md.stem}" in wanted]
    return pairs


def build(check: bool = False, names: list[str] | None = None) -> list[Path]:
    """Write (or, with check, compare) every (or the named) source notebook; returns the stale ones."""
    stale = []
    for md, ipynb in targets(names):
        text = render(from_text(md.read_text(encoding="utf-8"), str(md.relative_to(ROOT))))
        if ipynb.exists() and ipynb.read_text(encoding="utf-8") == text:
            continue
        stale.append(ipynb)
        if not check:
            ipynb.parent.mkdir(parents=True, exist_ok=True)
            ipynb.write_text(text, encoding="utf-8")
            print(f"built {ipynb.relative_to(ROOT)}")
    return stale


def not_canonical() -> list[Path]:
    """Text sources that differ from what jupytext writes for the notebook they build."""
    return [md for md, _ in targets()
            if to_text(from_text(md.read_text(encoding="utf-8"), str(md))) != md.read_text(encoding="utf-8")]


def from_source(names: list[Path] | None = None) -> list[Path]:
    """Write notebooks/<ps>/<name>.md from source/<ps>/<name>.ipynb; returns the files changed."""
    written = []
    for ipynb in names or sorted(SOURCE_DIR.glob("*/*.ipynb")):
        md = TEXT_DIR / ipynb.parent.name / (ipynb.stem + ".md")
        text = to_text(nbformat.read(ipynb, as_version=4))
        if not md.exists() or md.read_text(encoding="utf-8") != text:
            md.parent.mkdir(parents=True, exist_ok=True)
            md.write_text(text, encoding="utf-8")
            written.append(md)
            print(f"wrote {md.relative_to(ROOT)}")
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="notebooks to build, as ps/name (default: all)")
    ap.add_argument("--check", action="store_true", help="only report stale notebooks and non-canonical sources")
    ap.add_argument("--from-source", action="store_true", help="write notebooks/*.md from source/*.ipynb")
    args = ap.parse_args(argv)
    try:
        if args.from_source:
            from_source()
            return 0
        stale = build(check=args.check, names=args.names)
        odd = not_canonical() if args.check else []
    except NotebookSyntaxError as e:
        print(f"notebooks: {e}", file=sys.stderr)
        return 2
    if args.check and stale:
        print("out of date (run `make notebooks`):", *[str(p.relative_to(ROOT)) for p in stale], sep="\n  ")
    if odd:
        print("not in jupytext's canonical form (run `dlcourse notebooks --from-source`):",
              *[str(p.relative_to(ROOT)) for p in odd], sep="\n  ")
    return 1 if args.check and (stale or odd) else 0


if __name__ == "__main__":
    sys.exit(main())
