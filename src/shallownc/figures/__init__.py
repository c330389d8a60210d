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
    """One figure legend under the panels (unique labels of ``axes``), never over the data."""
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


def log_ticks_at(axis, values):
    """Label a log axis (``ax.xaxis``/``ax.yaxis``) at the plotted values, as plain numbers
    (matplotlib would otherwise label only the powers of ten in range)."""
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_major_locator(FixedLocator(np.unique(np.asarray(values, float))))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda t, _pos: f"{t:g}"))


def _audit(fig, path: Path, dpi: int):
    from . import hygiene

    folder = Path(os.environ[AUDIT_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    m = hygiene.measure(fig, dpi)
    m["path"] = str(path)
    return folder, m


def save(fig, path, dpi: int = DPI):
    """Save a figure (PNG/SVG/PDF by suffix) and close it; audit it when asked (module doc)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
