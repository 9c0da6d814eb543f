"""What every figure of the course must have, checked on the live matplotlib figures.

    problems = audit_figure(fig)      # [] when the figure is fine

A figure needs
- a title: a suptitle, or a title on every panel;
- on every panel that shows data on visible axes (not a decorative image panel
  with its axes turned off or without ticks): an x and a y label (a label on a
  panel that shares that axis counts, as in grids with shared axes and twinx);
  a colour bar needs its label;
- a legend wherever a panel has more than one labelled series (a figure legend,
  or a legend elsewhere in the figure that names them, counts); and no panel
  with several unlabelled lines in different colours and no legend at all;
- colour-blind-safe colours: lines, markers, bars and areas in the Okabe-Ito
  palette (utils.OKABE_ITO) or grey (black and white included); colour maps
  from the perceptually uniform / colour-blind-safe families below.

Whether a label carries its unit cannot be told from the figure; titles,
labels and legends can.  tests/notebooks/harness.py runs this in each notebook's kernel
after every cell (the module's source is sent to the kernel), and
tests/notebooks/test_mutations.py fails for every figure with a problem.
"""
from __future__ import annotations

OKABE_ITO_HEX = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
SAFE_CMAPS = {"viridis", "cividis", "magma", "inferno", "plasma", "twilight", "gray", "grey", "Greys", "binary",
              "bone", "Blues", "Oranges", "Purples", "RdBu", "PuOr", "BrBG", "coolwarm"}


def _safe_colour(rgba) -> bool:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(rgba)
    if max(r, g, b) - min(r, g, b) < 0.02:         # black, greys, white
        return True
    return any(max(abs(r - p), abs(g - q), abs(b - s)) < 0.01
               for p, q, s in (to_rgb(h) for h in OKABE_ITO_HEX))


def _safe_cmap(cmap) -> bool:
    """A safe named map; a list of safe colours (what `contour(..., colors="k")` makes); or a map
    made from safe colours, e.g. Okabe-Ito blue -> white -> orange (its ends and middle are checked)."""
    from matplotlib.colors import ListedColormap

    name = getattr(cmap, "name", "") or ""
    if name.removesuffix("_r") in SAFE_CMAPS:
        return True
    if isinstance(cmap, ListedColormap):
        return all(_safe_colour(c) for c in cmap.colors)
    return all(_safe_colour(cmap(x)) for x in (0.0, 0.5, 1.0))


def _artists(ax):
    return list(ax.lines) + list(ax.collections) + list(ax.patches) + list(ax.images)


def _shown_colours(artist):
    """(colours, colour map) the artist paints with; a colour-mapped artist: its map only."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(artist, AxesImage):
        return [], artist.get_cmap() if np.ndim(artist.get_array()) == 2 else None
    if getattr(artist, "get_array", None) is not None and artist.get_array() is not None:
        return [], artist.get_cmap()
    if isinstance(artist, Line2D):
        colours = [artist.get_color()]
        if artist.get_marker() not in (None, "None", "", " "):
            colours += [artist.get_markerfacecolor(), artist.get_markeredgecolor()]
        return [c for c in colours if c not in ("none", "None")], None
    if isinstance(artist, Collection):
        colours = list(artist.get_facecolors()) + list(artist.get_edgecolors())
        return [c for c in colours if len(c) < 4 or c[3] > 0], None
    if isinstance(artist, Patch):
        colours = [artist.get_facecolor()] if artist.get_fill() else []
        colours += [artist.get_edgecolor()]
        return [c for c in colours if c[3] > 0], None
    return [], None


def _is_decorative(ax) -> bool:
    """An image panel with its axes off or no ticks (a grid of digits), or an empty or hidden one."""
    if not ax.get_visible() or not _artists(ax):
        return True
    if not ax.axison:
        return True
    return bool(ax.images) and not len(ax.get_xticks()) and not len(ax.get_yticks())


def _siblings(ax, which: str):
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    return shared.get_siblings(ax)


def audit_figure(fig) -> list[str]:
    problems = []
    colorbars = [ax for ax in fig.axes if hasattr(ax, "_colorbar")]
    panels = [ax for ax in fig.axes if ax not in colorbars and not _is_decorative(ax)]
    shown = [ax for ax in fig.axes if ax not in colorbars and ax.get_visible() and _artists(ax)]
    suptitle = fig._suptitle.get_text().strip() if fig._suptitle is not None else ""
    untitled = [ax for ax in shown if not ax.get_title().strip()]
    if not suptitle and (untitled or not shown):
        problems.append("no title (neither a suptitle nor a title on every panel)" if len(shown) > 1 else "no title")

    def name(ax):
        title = ax.get_title().strip()
        return f"panel '{title}'" if title else f"panel {fig.axes.index(ax) + 1}"

    for ax in panels:
        for which in "xy":
            label = lambda a: (a.get_xlabel() if which == "x" else a.get_ylabel()).strip()  # noqa: E731
            if not any(label(a) for a in _siblings(ax, which)):
                problems.append(f"{name(ax)}: no {which} label")
    for cb in colorbars:
        if not (cb.get_ylabel().strip() or cb.get_xlabel().strip()):
            problems.append("a colour bar has no label")

    legend_texts = set()
    for legend in [ax.get_legend() for ax in fig.axes] + list(fig.legends):
        if legend is not None:
            legend_texts |= {t.get_text() for t in legend.get_texts()}
    for ax in shown:
        labels = [lab for lab in ax.get_legend_handles_labels()[1] if lab and not lab.startswith("_")]
        if len(labels) > 1 and ax.get_legend() is None and not set(labels) <= legend_texts:
            problems.append(f"{name(ax)}: {len(labels)} labelled series but no legend")
        series = [ln for ln in ax.lines if len(ln.get_xdata()) > 2]
        colours = {tuple(round(float(v), 3) for v in __import__("matplotlib").colors.to_rgb(ln.get_color()))
                   for ln in series}
        if len(colours) > 1 and not labels and not legend_texts:
            problems.append(f"{name(ax)}: {len(series)} lines in {len(colours)} colours but no labels or legend")

    bad_colours, bad_maps = set(), set()
    for ax in shown:
        for artist in _artists(ax):
            colours, cmap = _shown_colours(artist)
            if cmap is not None and not _safe_cmap(cmap):
                bad_maps.add(getattr(cmap, "name", "?"))
            for c in colours:
                if not _safe_colour(c):
                    from matplotlib.colors import to_hex
                    bad_colours.add(to_hex(c))
    if bad_colours:
        problems.append("colours outside the Okabe-Ito palette and greys: " + ", ".join(sorted(bad_colours)))
    if bad_maps:
        problems.append("colour maps that are not colour-blind safe: " + ", ".join(sorted(bad_maps)))
    return problems


# ------------------------------------------------------------------ in a kernel

_SEEN: dict = {}


def audit_open_figures(cell: int) -> None:
    """Audit every open pyplot figure (if pyplot is in use); remember the cell that first showed it."""
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    for num in plt.get_fignums():
        fig = plt.figure(num)
        entry = _SEEN.setdefault(id(fig), {"cell": cell, "fig": fig})
        sup = fig._suptitle.get_text() if fig._suptitle is not None else ""
        entry["title"] = sup or next((ax.get_title() for ax in fig.axes if ax.get_title()), "")
        try:
            entry["problems"] = audit_figure(fig)
        except Exception as e:  # the audit itself failed: say so, never pass silently
            entry["problems"] = [f"figure audit crashed: {type(e).__name__}: {e}"]


def report() -> str:
    """JSON: [{cell, title, problems}] for every figure seen, in the order first seen."""
    import json

    return json.dumps([{k: v for k, v in e.items() if k != "fig"} for e in _SEEN.values()])
