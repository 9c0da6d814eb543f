"""The class report's figures: score distribution, pass rate per test (PNG, Okabe-Ito colours)."""
from __future__ import annotations

from pathlib import Path


def plots(data: dict, out: Path) -> dict[str, str]:
    """Write the figures into `out`; {name: file name}."""
    import matplotlib
    matplotlib.use("agg")

    out.mkdir(parents=True, exist_ok=True)
    return {"scores": _scores(data, out / "scores.png"), "pass_rates": _pass_rates(data, out / "pass_rates.png")}


def _scores(data: dict, path: Path) -> str:
    import matplotlib.pyplot as plt

    from utils.plotting import OKABE_ITO

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
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _pass_rates(data: dict, path: Path) -> str:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from utils.plotting import OKABE_ITO

    tests = data["tests"]
    rates = [100 * t["passed"] / t["graded"] if t["graded"] else 0.0 for t in tests]
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.3 * max(len(tests), 1)))
    colours = [OKABE_ITO[2] if r >= 80 else OKABE_ITO[1] if r >= 50 else OKABE_ITO[3] for r in rates]
    ax.barh(range(len(tests)), rates, color=colours)
    ax.set_yticks(range(len(tests)), [f"{t['test']} ({t['points']:g})" for t in tests], fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="hand-ins passing (%)", xlim=(0, 100), title=f"{data['ps']}: pass rate per test (points)")
    ax.legend(handles=[Patch(color=OKABE_ITO[2], label=">= 80%"), Patch(color=OKABE_ITO[1], label="50-80%"),
                       Patch(color=OKABE_ITO[3], label="< 50%")], loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name
