"""The class report after grading: reports/<ps>/index.html with PNG plots.

    dlcourse report ps1 [--course DIR] [--db-url URL]

What an instructor looks at after grading a class: the score distribution,
each test's pass rate, the most frequent failure messages per test (the
`ename: evalue` of test cells in autograded/*/<ps>/*.ipynb -- the course's test
helpers put the hint they gave the student there; numbers are masked so that
the same mistake with different values counts once), and every student's
totals, hand-ins that could not be graded included.
"""
from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import nbformat

from dlcourse import course as C
from dlcourse.grading import run as G

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TOP = 5  # failure messages shown per test


def normalise(ename: str, evalue: str) -> str:
    """One line per kind of failure: numbers masked, long messages cut."""
    text = " ".join(evalue.split())
    text = NUMBER.sub("#", text)
    return f"{ename}: {text}"[:300]


def collect(course: Path, ps: str, db_url: str | None = None) -> dict:
    """Scores from the gradebook, failure messages from the autograded notebooks."""
    from nbgrader.api import Gradebook, MissingEntry

    db_url = G.normalise_db_url(db_url or G.default_db_url(course))
    tests: dict[tuple[str, str], dict] = {}   # (notebook, grade id) -> stats
    students = []
    with Gradebook(db_url, G.course_id(course)) as gb:
        try:
            assignment = gb.find_assignment(ps)
        except MissingEntry:
            raise SystemExit(f"{ps} is not in the gradebook {db_url}: grade it first")
        for nb in assignment.notebooks:
            for cell in nb.grade_cells:
                if cell.cell_type == "code":
                    tests[(nb.name, cell.name)] = {"notebook": nb.name, "test": cell.name,
                                                   "points": cell.max_score, "passed": 0, "graded": 0,
                                                   "messages": Counter(), "examples": {}}
        for sub in assignment.submissions:
            auto = auto_max = manual_max = 0.0
            graded = True
            for nb in sub.notebooks:
                for g in nb.grades:
                    if g.cell.cell_type == "code":
                        auto += (g.score or 0.0) - (g.extra_credit or 0.0)
                        auto_max += g.max_score
                        t = tests.get((nb.name, g.name))
                        if g.auto_score is None:
                            graded = False
                        elif t is not None:
                            t["graded"] += 1
                            # a bonus test (0 points) passed when it earned its extra credit
                            t["passed"] += (g.auto_score >= g.max_score if g.max_score
                                            else bool(g.extra_credit))
                    else:
                        manual_max += g.max_score
            students.append({"student": sub.student.id, "auto": auto, "auto_max": auto_max,
                             "manual_max": manual_max, "graded": graded, "problem": ""})
    # hand-ins the last grading run could not grade (dlcourse/grading/run.py keeps them out of
    # the gradebook): listed with the reason; an earlier grade, if any, is shown as it stands
    failed = G.load_state(course, ps).get("failed", {})
    known = {s["student"]: s for s in students}
    for student, reason in sorted(failed.items()):
        if student in known:
            known[student]["problem"] = f"last regrade failed, earlier grade shown: {reason}"
        else:
            students.append({"student": student, "auto": 0.0, "auto_max": 0.0, "manual_max": 0.0,
                             "graded": False, "problem": f"not graded: {reason}"})
    for path in sorted((course / "autograded").glob(f"*/{ps}/*.ipynb")):
        student = path.parent.parent.name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 -- a broken notebook has no messages to show
            continue
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            t = tests.get((path.stem, meta.get("grade_id")))
            if t is None or cell.cell_type != "code":
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    key = normalise(out.get("ename", ""), out.get("evalue", ""))
                    t["messages"][key] += 1
                    t["examples"].setdefault(key, (student, f"{out.get('ename')}: {out.get('evalue', '')}"[:400]))
    from dlcourse.grading import tamper
    return {"ps": ps, "tests": list(tests.values()), "students": sorted(students, key=lambda s: s["student"]),
            "suspicious": tamper.review(course, ps)}


def plots(data: dict, out: Path) -> dict[str, str]:
    import matplotlib
    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    from utils.plotting import OKABE_ITO

    out.mkdir(parents=True, exist_ok=True)
    files = {}
    pct = [100 * s["auto"] / s["auto_max"] for s in data["students"] if s["graded"] and s["auto_max"]]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(pct, bins=[i * 5 for i in range(21)], color=OKABE_ITO[0], edgecolor="white")
    if pct:
        mean = sum(pct) / len(pct)
        ax.axvline(mean, color=OKABE_ITO[3], linestyle="--", label=f"mean {mean:.0f}%")
        ax.legend(loc="upper center")
    ax.set(xlabel="automatic score (% of points)", ylabel="students", xlim=(0, 100),
           title=f"{data['ps']}: score distribution ({len(pct)} graded hand-ins)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(out / "scores.png", dpi=110)
    plt.close(fig)
    files["scores"] = "scores.png"

    tests = data["tests"]
    rates = [100 * t["passed"] / t["graded"] if t["graded"] else 0.0 for t in tests]
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.3 * max(len(tests), 1)))
    colours = [OKABE_ITO[2] if r >= 80 else OKABE_ITO[1] if r >= 50 else OKABE_ITO[3] for r in rates]
    ax.barh(range(len(tests)), rates, color=colours)
    ax.set_yticks(range(len(tests)), [f"{t['test']} ({t['points']:g})" for t in tests], fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="hand-ins passing (%)", xlim=(0, 100), title=f"{data['ps']}: pass rate per test (points)")
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color=OKABE_ITO[2], label=">= 80%"), Patch(color=OKABE_ITO[1], label="50-80%"),
                       Patch(color=OKABE_ITO[3], label="< 50%")], loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "pass_rates.png", dpi=110)
    plt.close(fig)
    files["pass_rates"] = "pass_rates.png"
    return files


def write(course: Path, ps: str, db_url: str | None = None) -> Path:
    """Write reports/<ps>/index.html (+ PNGs); returns its path."""
    data = collect(course, ps, db_url)
    out = course / "reports" / ps
    imgs = plots(data, out)
    e = html.escape
    graded = [s for s in data["students"] if s["graded"]]
    mean = sum(s["auto"] for s in graded) / len(graded) if graded else 0.0
    auto_max = max((s["auto_max"] for s in data["students"]), default=0.0)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(ps)} class report</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
             "th{background:#f2f2f2}td.num{text-align:right}.bad{color:#D55E00}code{font-size:90%}</style>"
             "</head><body>",
             f"<h1>{e(ps)}: class report</h1>",
             f"<p>{len(data['students'])} hand-ins, {len(graded)} graded automatically; "
             f"mean automatic score {mean:.1f} / {auto_max:g}.</p>",
             f"<h2>Score distribution</h2><img src='{imgs['scores']}' alt='score histogram'>",
             f"<h2>Pass rate per test</h2><img src='{imgs['pass_rates']}' alt='pass rate per test'>",
             "<h2>Most frequent failures per test</h2>"]
    for t in sorted(data["tests"], key=lambda t: (t["passed"] / t["graded"]) if t["graded"] else 1):
        if not t["messages"]:
            continue
        fails = t["graded"] - t["passed"]
        parts.append(f"<h3><code>{e(t['test'])}</code> ({e(t['notebook'])}, {t['points']:g} points): "
                     f"{fails} of {t['graded']} failed</h3><table><tr><th>hand-ins</th><th>message "
                     "(numbers shown as #)</th><th>example</th></tr>")
        for msg, n in t["messages"].most_common(TOP):
            who, example = t["examples"][msg]
            parts.append(f"<tr><td class='num'>{n}</td><td>{e(msg)}</td>"
                         f"<td><b>{e(who)}</b>: {e(example)}</td></tr>")
        parts.append("</table>")
    if data["suspicious"]:
        parts.append("<h2>Review by hand</h2><p>Code in these hand-ins touches the grading machinery "
                     "(test helpers, builtins, the kernel, course files): look before trusting the score.</p>"
                     "<table><tr><th>student</th><th>what was found</th></tr>")
        for student, findings in sorted(data["suspicious"].items()):
            parts.append(f"<tr><td>{e(student)}</td><td>{'<br>'.join(e(f) for f in findings)}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Students</h2><table><tr><th>student</th><th>automatic score</th><th>%</th>"
                 "<th>written (formgrader)</th></tr>")
    for s in data["students"]:
        pct = f"{100 * s['auto'] / s['auto_max']:.0f}" if s["auto_max"] else "-"
        why = s["problem"] or ("" if s["graded"] else "not graded (see the grading log)")
        note = f" <span class='bad'>{e(why)}</span>" if why else ""
        parts.append(f"<tr><td>{e(s['student'])}{note}</td><td class='num'>{s['auto']:g} / {s['auto_max']:g}</td>"
                     f"<td class='num'>{pct}</td><td>{s['manual_max']:g} points pending</td></tr>")
    parts.append("</table></body></html>")
    (out / "index.html").write_text("\n".join(parts))
    return out / "index.html"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("assignment", help="e.g. ps1")
    ap.add_argument("--course", type=Path, default=C.ROOT, help="course folder (default: this checkout)")
    ap.add_argument("--db-url", default=None, help="gradebook SQLAlchemy URL (default: course/gradebook.db)")
    args = ap.parse_args(argv)
    path = write(args.course.resolve(), args.assignment, args.db_url)
    print(f"class report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
