"""The class report after grading: reports/<ps>/index.html with PNG plots.

    dlcourse report ps1 [--course DIR] [--db-url URL]

What an instructor looks at after grading a class: the score distribution, each test's pass
rate, the most frequent failure messages per test (the `ename: evalue` of test cells in
autograded/*/<ps>/*.ipynb -- the course's test helpers put the hint they gave the student
there; numbers are masked so that the same mistake with different values counts once), the
hand-ins to review by hand, and every student's totals, hand-ins that could not be graded
included.  collect.py gathers the data, plots.py draws the figures, templates/index.html.j2
(Jinja2, autoescaped) is the page.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlcourse import course as C
from dlcourse.grading.report.collect import collect, normalise
from dlcourse.grading.report.plots import plots

TOP = 5  # failure messages shown per test

__all__ = ["collect", "normalise", "render", "write", "main"]


def render(data: dict, images: dict[str, str]) -> str:
    """The report page for collect()'s data and plots()'s images."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    env.filters["num"] = lambda x: format(x, "g")
    graded = [s for s in data["students"] if s["graded"]]
    failing = [dict(t, top=t["messages"].most_common(TOP)) for t in sorted(
        data["tests"], key=lambda t: (t["passed"] / t["graded"]) if t["graded"] else 1) if t["messages"]]
    return env.get_template("index.html.j2").render(
        ps=data["ps"], students=data["students"], graded=len(graded), images=images, failing=failing,
        mean=sum(s["auto"] for s in graded) / len(graded) if graded else 0.0,
        auto_max=max((s["auto_max"] for s in data["students"]), default=0.0), suspicious=data["suspicious"])


def write(course: Path, ps: str, db_url: str | None = None) -> Path:
    """Write reports/<ps>/index.html (+ PNGs); returns its path."""
    data = collect(course, ps, db_url)
    out = course / "reports" / ps
    images = plots(data, out)
    (out / "index.html").write_text(render(data, images))
    return out / "index.html"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="dlcourse report", description=__doc__.split("\n")[0])
    ap.add_argument("assignment", help="e.g. ps1")
    ap.add_argument("--course", type=Path, default=C.ROOT, help="course folder (default: this checkout)")
    ap.add_argument("--db-url", default=None,
                    help="gradebook SQLAlchemy URL (default: c.CourseDirectory.db_url of the course's configuration)")
    args = ap.parse_args(argv)
    print(f"class report: {write(args.course.resolve(), args.assignment, args.db_url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
