"""Figures: seaborn/matplotlib drawings read only from NetCDF results.

Shared style helpers live here; each stage has its own module (figures.feasibility, ...).
Every figure is saved through :func:`save` at :data:`DPI`; with ``SHALLOWNC_FIGURE_AUDIT`` set
to a folder, :func:`save` also records the figure's hygiene measurement there
(:mod:`shallownc.figures.hygiene`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: jobs never open windows
import matplotlib.image  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

DPI = 130
LEGEND_FONT = 8.5   # points; >= hygiene.MIN_FONT_PX at DPI
AUDIT_ENV = "SHALLOWNC_FIGURE_AUDIT"


def setup_style():
    """One look for every figure of the report (fonts readable at the report's width)."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.25,
                  rc={"legend.fontsize": LEGEND_FONT, "legend.title_fontsize": LEGEND_FONT})


def legend_below(fig, axes, ncol: int = 3, **kw):
    """One figure legend under the panels (unique labels of ``axes``), never over the data;
    above them in a tall figure (:func:`key_on_top`, applied by :func:`save`)."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab and not lab.startswith("_") and lab not in labels:
                handles.append(h)
                labels.append(lab)
    return fig.legend(handles, labels, loc="outside lower center", ncol=ncol,
                      frameon=False, **kw)


def legend_under(ax, ncol: int = 2, **kw):
    """The legend of one panel just below it (for panels stacked vertically)."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol,
                     frameon=False, **kw)


def coincident_note(df, x: str, y: str, series, max_names: int = 5,
                    max_groups: int = 2) -> str:
    """A note naming the series of a line plot that lie exactly on top of each other (equal
    ``y`` at every ``x``: drawn as one line, the others hidden), e.g. "3 of 10 series hidden
    under another (equal values): separable at noise σ 0.01 = 0.03 = 0.1 = 0.3"; "" when
    every series shows.
    ``series``: the column(s) whose values name a series (the last one varies in a group)."""
    import numpy as np

    cols = [series] if isinstance(series, str) else list(series)
    wide = df.pivot_table(index=cols, columns=x, values=y, aggfunc="mean", dropna=False)
    groups: dict[tuple, list[tuple]] = {}
    for key, row in wide.iterrows():
        vals = np.round(np.asarray(row.values, float), 9)
        key = key if isinstance(key, tuple) else (key,)
        groups.setdefault(tuple(np.where(np.isnan(vals), np.inf, vals).tolist()),
                          []).append(key)
    same = [g for g in groups.values() if len(g) > 1]
    if not same:
        return ""
    if len(same) == 1 and len(same[0]) == len(wide):
        return f"all {len(wide)} series coincide (drawn as one line)"

    def name(g):
        head = {k[:-1] for k in g}
        if len(head) == 1:  # the group differs in the last column only
            last = [str(k[-1]) for k in g]
            lead = ", ".join(map(str, next(iter(head)))) + " at " if len(cols) > 1 else ""
        else:
            last, lead = [" ".join(map(str, k)) for k in g], ""
        last = last if len(last) <= max_names else last[:max_names - 1] + ["..."]
        return f"{lead}{cols[-1] + ' ' if lead or len(cols) == 1 else ''}{' = '.join(last)}"
    hidden = sum(len(g) - 1 for g in same)
    shown = "; ".join(name(g) for g in same[:max_groups]) + ("; ..." if len(same) > max_groups
                                                            else "")
    return f"{hidden} of {len(wide)} series hidden under another (equal values): {shown}"


def _priority(v: float) -> int:
    """Labels kept first: 1, then powers of ten, then the other values (left to right)."""
    import math
    if v == 1:
        return 0
    return 1 if v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9 else 2


class SparseFormatter(matplotlib.ticker.Formatter):
    """A tick formatter that labels a tick only where its label does not touch another one:
    at draw time the labels' sizes and positions are measured in pixels and kept in the order
    1, powers of ten, then the rest (:func:`_priority`); the other ticks stay as unlabelled
    marks (labelling every plotted value ran close ones together: "0.91.21.62.2")."""

    def __init__(self, pad_px: float = 6.0):
        self.pad_px = pad_px

    def __call__(self, x, pos=None):
        return f"{x:g}"

    def format_ticks(self, values):
        import numpy as np
        from matplotlib.axis import XAxis
        from matplotlib.text import Text

        texts = [self(v) for v in values]
        ax = self.axis.axes
        horiz = isinstance(self.axis, XAxis)
        other = np.full(len(values), ax.get_ylim()[0] if horiz else ax.get_xlim()[0])
        pts = np.column_stack([values, other] if horiz else [other, values])
        pos = ax.transData.transform(pts)[:, 0 if horiz else 1]
        size = self.axis.majorTicks[0].label1.get_fontsize()  # (get_ticklabels recurses)
        rend = ax.figure.canvas.get_renderer()
        ext = [getattr(Text(0, 0, t, fontsize=size, figure=ax.figure).get_window_extent(rend),
                       "width" if horiz else "height") for t in texts]
        keep: list[int] = []
        for i in sorted(range(len(values)), key=lambda i: (_priority(values[i]), i)):
            if all(abs(pos[i] - pos[j]) >= (ext[i] + ext[j]) / 2 + self.pad_px for j in keep):
                keep.append(i)
        return [t if i in keep else "" for i, t in enumerate(texts)]


def log_ticks_at(axis, values):
    """Label a log axis (``ax.xaxis``/``ax.yaxis``) at the plotted values, as plain numbers
    (matplotlib would otherwise label only the powers of ten in range); a value whose label
    would touch another's keeps its tick mark without a label (:class:`SparseFormatter`)."""
    import numpy as np
    from matplotlib.ticker import FixedLocator, NullLocator

    axis.set_major_locator(FixedLocator(np.unique(np.asarray(values, float))))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(SparseFormatter())


def _audit(fig, path: Path, dpi: int):
    from . import hygiene

    folder = Path(os.environ[AUDIT_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    m = hygiene.measure(fig, dpi)
    m["path"] = str(path)
    return folder, m


TALL_RATIO = 1.25  # a figure this much taller than wide shows its key above the panels


def key_on_top(fig) -> bool:
    """A tall figure's legend below the panels moves above them, in view when the report
    opens the figure at its top; the figure's suptitle becomes the legend's heading
    (constrained layout would put the two in the same place). Returns whether it moved."""
    if fig.get_figheight() < TALL_RATIO * fig.get_figwidth():
        return False
    moved = False
    for leg in list(fig.legends):
        if getattr(leg, "_outside_loc", None) != "lower":
            continue
        sup = fig._suptitle
        head = "\n".join(t for t in ((sup.get_text() if sup is not None else ""),
                                      leg.get_title().get_text()) if t)
        handles, labels = leg.legend_handles, [t.get_text() for t in leg.get_texts()]
        kw = dict(ncol=leg._ncols, fontsize=leg._fontsize, frameon=leg.get_frame_on())
        leg.remove()
        fig.legend(handles, labels, loc="outside upper center", title=head or None,
                   title_fontsize=sup.get_fontsize() if sup is not None else None,
                   alignment="center", **kw)
        if sup is not None:
            sup.remove()
            fig._suptitle = None
        moved = True
    return moved


def save(fig, path, dpi: int = DPI):
    """Save a figure (PNG/SVG/PDF by suffix) and close it; audit it when asked (module doc)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key_on_top(fig)
    audit = _audit(fig, path, dpi) if os.environ.get(AUDIT_ENV) else None
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    if audit:
        folder, m = audit
        if path.suffix == ".png":
            m["width_px"] = int(matplotlib.image.imread(path).shape[1])
        name = str(path.resolve()).strip("/").replace("/", "__") + ".json"
        (folder / name).write_text(json.dumps(m, indent=1))
    return path
