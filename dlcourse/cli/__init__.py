"""`dlcourse` -- the course's one command line, a subcommand per step of the pipeline.

    dlcourse notebooks [--check]        notebooks/*.md (MyST) -> source/*.ipynb
    dlcourse release [ps ...]           source/ -> release/ (nbgrader generate_assignment)
    dlcourse datasets                   regenerate the small CSV datasets
    dlcourse roster students.csv        import the class roster into the gradebook
    dlcourse collect ps PATH            hand-in zips (a folder, or a platform's download) -> submitted/
    dlcourse grade [ps ...] [options]   grade submitted/ in parallel: feedback, grades.csv, report
    dlcourse export ps                  grades (Canvas / Moodle CSV) and feedback files for upload
    dlcourse report ps                  the class report of a graded assignment
    dlcourse scores                     the score table from the gradebook
    dlcourse demo [ps ...]              release + example hand-ins + grade + table
    dlcourse handin NOTEBOOK --student ID   the student hand-in: self-check, PDF, zip
    dlcourse lab [--instructor]         JupyterLab with the Hand in button
    dlcourse kit                        build the student kit
    dlcourse pdfs [ps ...]              PDFs of every reference notebook, made as hand-ins are

Each subcommand's options: `dlcourse <subcommand> --help`.  The Makefile's targets call these.
"""
from __future__ import annotations

import importlib
import sys

# subcommand -> (module with main(argv), one line of help)
COMMANDS = {
    "notebooks": ("dlcourse.authoring.build", "build source/ notebooks from notebooks/*.md"),
    "release": ("dlcourse.authoring.release", "generate release/ from source/"),
    "datasets": ("dlcourse.authoring.datasets", "regenerate the small CSV datasets"),
    "roster": ("dlcourse.term.roster", "import the class roster (CSV) into the gradebook"),
    "collect": ("dlcourse.term.collect", "hand-in zips (a platform's download) -> submitted/"),
    "grade": ("dlcourse.cli.grade", "grade a class in parallel (feedback, grades, report)"),
    "export": ("dlcourse.term.export", "grades and feedback files for Canvas / Moodle"),
    "report": ("dlcourse.grading.report", "write the class report of an assignment"),
    "scores": ("dlcourse.cli.demo", "print the score table from the gradebook"),
    "demo": ("dlcourse.cli.demo", "release, grade example hand-ins, print the table"),
    "handin": ("dlcourse.handin.handin", "hand in a notebook: self-check, PDF, zip"),
    "lab": ("dlcourse.handin.lab", "JupyterLab with the Hand in button (--instructor: with nbgrader's tools)"),
    "kit": ("dlcourse.handin.kit", "build the student kit"),
    "pdfs": ("dlcourse.cli.pdfs", "PDFs of the reference notebooks"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return "usage: dlcourse <command> [options]\n\ncommands:\n" + "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"dlcourse: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    if name in ("scores", "demo"):
        return module.main([name, *rest])
    return module.main(rest)
