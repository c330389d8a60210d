"""Figures: seaborn/matplotlib drawings read only from NetCDF results.

Shared style helpers live here; each stage has its own module (figures.feasibility, ...).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: jobs never open windows
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402


def setup_style():
    """One look for every figure of the report."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)


def save(fig, path, dpi: int = 130):
    """Save a figure (PNG/SVG/PDF by suffix) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
