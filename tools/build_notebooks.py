"""Build the instructor notebooks in source/ from their text sources.

Each notebook is written as a Markdown file, tools/notebooks/<ps>/<name>.md,
because prose with LaTeX, code and nbgrader metadata read and diff far better
there than in notebook JSON.  This module turns it into
source/<ps>/<name>.ipynb (no outputs); `nbgrader generate_assignment` then
makes the student version in release/.

Format
------
Markdown text becomes markdown cells; a line holding only ``+++`` splits it
into several cells.  Fenced blocks become cells, by their info string:

```python                          provided code (read-only)
```python solution id=NAME         autograded answer (student writes code)
```python tests id=NAME points=N   autograder tests (read-only, N points)
```python editable                 free code cell, not graded (experiments)
```answer id=NAME points=N         manually graded written answer (markdown)

Every cell that is not an answer is locked, so nbgrader restores it if a
student edits it.  Use ````` (four backticks) to fence a block that itself
contains ``` (for example a markdown cell showing code).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TEXT_DIR = ROOT / "tools" / "notebooks"
SOURCE_DIR = ROOT / "source"

FENCE = re.compile(r"^(`{3,})(.*)$")
KINDS = {"python", "answer"}
ROLES = {"", "solution", "tests", "editable"}


class NotebookSyntaxError(ValueError):
    pass


def _meta(grade: bool, solution: bool, locked: bool, grade_id: str, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": 3, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _parse_info(info: str, where: str) -> tuple[str, str, dict]:
    words = info.split()
    if not words or words[0] not in KINDS:
        raise NotebookSyntaxError(f"{where}: fence must start with ```python or ```answer, got ```{info}")
    kind, role, attrs = words[0], "", {}
    for word in words[1:]:
        if "=" in word:
            key, value = word.split("=", 1)
            attrs[key] = value
        elif not role:
            role = word
        else:
            raise NotebookSyntaxError(f"{where}: unexpected word {word!r} in ```{info}")
    if kind == "python" and role not in ROLES:
        raise NotebookSyntaxError(f"{where}: unknown role {role!r}; use one of {sorted(ROLES - {''})}")
    return kind, role, attrs


def parse(text: str, name: str = "<notebook>") -> nbformat.NotebookNode:
    """Parse the Markdown source format into a notebook (see module doc)."""
    cells = []
    counter = {"n": 0}
    seen_ids: set[str] = set()

    def auto_id(prefix: str) -> str:
        counter["n"] += 1
        return f"{prefix}-{counter['n']:03d}"

    def add_markdown(lines: list[str]) -> None:
        chunk: list[str] = []
        for line in lines + ["+++"]:
            if line.strip() == "+++":
                body = "\n".join(chunk).strip("\n")
                if body.strip():
                    cell = nbformat.v4.new_markdown_cell(body)
                    cell.metadata["nbgrader"] = _meta(False, False, True, auto_id("md"))
                    cells.append(cell)
                chunk = []
            else:
                chunk.append(line)

    lines = text.splitlines()
    pending: list[str] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match or not match.group(2).strip():
            pending.append(lines[i])
            i += 1
            continue
        ticks, info = match.group(1), match.group(2).strip()
        where = f"{name}:{i + 1}"
        kind, role, attrs = _parse_info(info, where)
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].rstrip() != ticks:
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise NotebookSyntaxError(f"{where}: fence ```{info} is never closed")
        i += 1
        add_markdown(pending)
        pending = []
        source = "\n".join(body).strip("\n")
        grade_id = attrs.get("id")
        if kind == "answer" or role in ("solution", "tests"):
            if not grade_id:
                raise NotebookSyntaxError(f"{where}: ```{info} needs id=NAME")
            if grade_id in seen_ids:
                raise NotebookSyntaxError(f"{where}: id {grade_id!r} used twice")
            seen_ids.add(grade_id)
        points = attrs.get("points")
        if (kind == "answer" or role == "tests"):
            if points is None:
                raise NotebookSyntaxError(f"{where}: ```{info} needs points=N")
            points = float(points) if "." in points else int(points)
        if kind == "answer":
            cell = nbformat.v4.new_markdown_cell(source)
            cell.metadata["nbgrader"] = _meta(True, True, False, grade_id, points)
        else:
            cell = nbformat.v4.new_code_cell(source)
            if role == "solution":
                cell.metadata["nbgrader"] = _meta(False, True, False, grade_id)
            elif role == "tests":
                cell.metadata["nbgrader"] = _meta(True, False, True, grade_id, points)
            elif role == "editable":
                pass  # an ordinary cell: the student may change it freely
            else:
                cell.metadata["nbgrader"] = _meta(False, False, True, auto_id("code"))
        cells.append(cell)
    add_markdown(pending)

    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3",
                          "codemirror_mode": {"name": "ipython", "version": 3},
                          "file_extension": ".py", "mimetype": "text/x-python"},
    }
    # Cell ids must be stable so rebuilding gives identical files.
    for n, cell in enumerate(nb.cells):
        cell["id"] = (cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell-{n:03d}")
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def targets() -> list[tuple[Path, Path]]:
    """(text source, notebook) pairs for every notebook of the course."""
    pairs = []
    for md in sorted(TEXT_DIR.glob("*/*.md")):
        pairs.append((md, SOURCE_DIR / md.parent.name / (md.stem + ".ipynb")))
    return pairs


def build(check: bool = False) -> list[Path]:
    """Write (or, with check, compare) every source notebook; returns stale ones."""
    stale = []
    for md, ipynb in targets():
        text = render(parse(md.read_text(), str(md.relative_to(ROOT))))
        if ipynb.exists() and ipynb.read_text() == text:
            continue
        stale.append(ipynb)
        if not check:
            ipynb.parent.mkdir(parents=True, exist_ok=True)
            ipynb.write_text(text)
            print(f"built {ipynb.relative_to(ROOT)}")
    return stale


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    args = ap.parse_args(argv)
    stale = build(check=args.check)
    if args.check and stale:
        print("out of date (run `make notebooks`):", *[str(p.relative_to(ROOT)) for p in stale], sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
