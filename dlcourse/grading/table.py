"""The score table printed after grading."""
from __future__ import annotations


def print_table(rows: list[dict]) -> None:
    if not rows:
        print("no grades yet")
        return
    print(f"\n{'assignment':<12}{'student':<12}{'automatic score':>18}{'written (formgrader)':>24}")
    for r in sorted(rows, key=lambda r: (r["assignment"], r["student"])):
        note = ("   NOT GRADED: " + r["problem"] if r.get("problem")
                else "   NOTE: " + r["note"] if r.get("note") else "")
        if r["auto"] is None:  # not graded: no scores
            print(f"{r['assignment']:<12}{r['student']:<12}{'-':>9}   {'':<6}{'-':>22}{note}")
            continue
        extra = f"   +{r['extra']:g} extra credit" if r.get("extra") else ""
        print(f"{r['assignment']:<12}{r['student']:<12}"
              f"{r['auto']:>9.1f} / {r['auto_max']:<6.1f}{'pending / ' + format(r['manual_max'], '.0f'):>22}"
              f"{extra}{note}")


