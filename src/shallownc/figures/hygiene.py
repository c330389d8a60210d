"""Measurable figure hygiene: legends off the data, axis limits on the data, readable fonts,
tick labels that do not run into each other, no legend entry twice, no marker cut by the
frame.

:func:`measure` inspects a drawn matplotlib figure; :func:`problems` turns the measurement
into human-readable complaints against the limits below. ``figures.save`` records the
measurement of every figure it saves when the environment variable ``SHALLOWNC_FIGURE_AUDIT``
names a folder (one JSON file per figure), so a test can audit every figure of a whole run
(tests/test_outputs_quality.py) without knowing how each one is drawn.

What counts as data: points of ``Line2D`` artists in data coordinates (reference lines drawn
with ``axvline``/``axhline`` use blended transforms and are excluded), scatter offsets,
``QuadMesh`` cell centres (heatmaps), and the vertices of filled bands and the extent of bars
(range only). Limits of a string-category axis are not judged.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh
from matplotlib.category import StrCategoryConverter
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

MAX_LEGEND_OVERLAP = 0.03   # share of an axes' data points a legend box may cover
LIMIT_MARGIN = 0.12         # axis limits may exceed the data range by this share of its span
MIN_FONT_PX = 13.0          # smallest text at the saved DPI (7.2 pt at 130 dpi)
MAX_WIDTH_PX = 1400         # widest saved image that still reads at the report's width
LOG_PAD_DECADES = 0.5      # free padding beyond the data on a log axis
UNIT_RANGE = (-0.06, 1.06)  # limits inside this are fine for data in [0, 1] (probabilities)


def _line_data(ax, line: Line2D):
    """Display and data coordinates of a line's finite points, or None for reference lines."""
    if line.get_transform() != ax.transData or not line.get_visible():
        return None
    xy = np.column_stack([np.asarray(line.get_xdata(), float),
                          np.asarray(line.get_ydata(), float)])
    return xy[np.isfinite(xy).all(axis=1)]


def _collection_data(ax, coll) -> tuple[np.ndarray, bool]:
    """(data-coordinate points, counts as points) of a collection; empty when not data."""
    if not coll.get_visible():
        return np.empty((0, 2)), False
    if isinstance(coll, QuadMesh):
        c = np.asarray(coll.get_coordinates(), float)
        centres = (c[:-1, :-1] + c[1:, 1:]) / 2
        arr = coll.get_array()
        keep = ~np.ma.getmaskarray(arr).reshape(centres.shape[:2]) if arr is not None else \
            np.ones(centres.shape[:2], bool)
        return np.concatenate([centres[keep], c.reshape(-1, 2)]), True
    if isinstance(coll, PathCollection) and coll.get_offset_transform() == ax.transData:
        return np.asarray(coll.get_offsets(), float).reshape(-1, 2), True
    if isinstance(coll, PolyCollection) and coll.get_transform() == ax.transData:
        paths = coll.get_paths()
        verts = [p.vertices for p in paths if len(p.vertices)]
        return (np.concatenate(verts) if verts else np.empty((0, 2))), False
    return np.empty((0, 2)), False


def _axes_data(ax) -> tuple[np.ndarray, np.ndarray]:
    """(points for the overlap test, points for the range test) in data coordinates."""
    pts, rng = [], []
    for line in ax.get_lines():
        xy = _line_data(ax, line)
        if xy is not None and len(xy):
            pts.append(xy)
            rng.append(xy)
    for coll in ax.collections:
        xy, is_pts = _collection_data(ax, coll)
        xy = xy[np.isfinite(xy).all(axis=1)] if len(xy) else xy
        if len(xy):
            rng.append(xy)
            if is_pts:
                pts.append(xy)
    for patch in ax.patches:  # bars: their extent is data (range only)
        if isinstance(patch, Rectangle) and patch.get_transform() == ax.transData \
                and patch.get_visible():
            x, y, w, h = patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()
            rng.append(np.array([[x, y], [x + w, y + h]], float))
    cat = (lambda a: np.concatenate(a) if a else np.empty((0, 2)))
    return cat(pts), cat(rng)


def _categorical(axis) -> bool:
    """A string-category axis (seaborn bar/strip plots): its limits are slots, not data."""
    if isinstance(axis.get_converter(), StrCategoryConverter):
        return True
    # positions 0, 1, ... named by set_xticklabels(["base", "weight_decay"]): also slots
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text().strip()]
    return bool(labels) and all(_is_word(t) for t in labels)


def _is_word(text: str) -> bool:
    try:
        float(text.replace("\u2212", "-"))
        return False
    except ValueError:
        return not text.startswith("$")


def _legend_boxes(fig, ax, renderer):
    boxes = []
    for leg in [ax.get_legend(), *fig.legends]:
        if leg is not None and leg.get_visible():
            boxes.append(leg.get_window_extent(renderer))
    return boxes


def _overlap(ax, pts, boxes) -> float:
    """Share of the axes' visible data points (display coords) inside any legend box."""
    if not len(pts) or not boxes:
        return 0.0
    disp = ax.transData.transform(pts)
    ab = ax.get_window_extent()
    inside_ax = ((disp[:, 0] >= ab.x0) & (disp[:, 0] <= ab.x1) &
                 (disp[:, 1] >= ab.y0) & (disp[:, 1] <= ab.y1))
    if not inside_ax.any():
        return 0.0
    d = disp[inside_ax]
    hit = np.zeros(len(d), bool)
    for b in boxes:
        hit |= (d[:, 0] >= b.x0) & (d[:, 0] <= b.x1) & (d[:, 1] >= b.y0) & (d[:, 1] <= b.y1)
    return float(hit.mean())


def _limit_excess(lim, vals, log: bool) -> float:
    """How far the axis limits reach beyond the data range, as a share of the data span."""
    vals = vals[np.isfinite(vals)]
    lo, hi = sorted(lim)
    if log:
        vals = vals[vals > 0]
        if not len(vals) or lo <= 0:
            return 0.0
        vals, lo, hi = np.log10(vals), np.log10(lo), np.log10(hi)
    if not len(vals):
        return 0.0
    dmin, dmax = float(vals.min()), float(vals.max())
    if not log and dmin >= 0 and dmax <= 1 and UNIT_RANGE[0] <= lo and hi <= UNIT_RANGE[1]:
        return 0.0
    # constant data get a nominal span (a decade on a log axis); log axes may pad by
    # LOG_PAD_DECADES beyond the data without complaint
    span = max(dmax - dmin, 1.0) if log else max(dmax - dmin, 0.1 * abs(dmax), 0.05)
    allowance = LOG_PAD_DECADES if log else 0.0
    return max(dmin - lo - allowance, hi - dmax - allowance, 0.0) / span


def tick_overlaps(axis, renderer) -> list[str]:
    """Pairs of neighbouring tick labels of one axis that overlap ("0.9|1"): their boxes for
    upright text; for slanted text (rotation theta) the distance between the parallel
    baselines, (spacing along the axis) x sin(theta), against the text height."""
    labs = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text().strip()]
    out = []
    items = sorted(((t.get_window_extent(renderer), t) for t in labs),
                   key=lambda bt: (bt[0].x0, bt[0].y0))
    for (ba, ta), (bb, tb) in zip(items, items[1:]):
        rot = ta.get_rotation() % 180
        if rot in (0, 90):
            hit = ba.overlaps(bb)
        else:
            pa, pb = ta.get_transform().transform(ta.get_position()), \
                tb.get_transform().transform(tb.get_position())
            step = abs(pb[0] - pa[0]) if rot < 45 or rot > 135 else abs(pb[1] - pa[1])
            height = ta.get_fontsize() * renderer.points_to_pixels(1.0)
            hit = step * abs(np.sin(np.radians(rot))) < height
        if hit:
            out.append(f"{ta.get_text()}|{tb.get_text()}")
    return out


def duplicate_labels(legends) -> list[str]:
    """Labels that appear twice in one of ``legends`` (None entries skipped)."""
    out = []
    for leg in legends:
        if leg is None:
            continue
        labels = [t.get_text() for t in leg.get_texts() if t.get_text().strip()]
        out += sorted({lab for lab in labels if labels.count(lab) > 1})
    return out


def clipped_markers(ax, dpi: float) -> int:
    """Markers (scatter points, line markers) whose centre lies inside the axes but closer to
    its edge than their radius: drawn cut in half by the frame."""
    box = ax.get_window_extent()
    n = 0
    items = []
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and coll.get_visible() and coll.get_clip_on() \
                and coll.get_offset_transform() == ax.transData and len(coll.get_sizes()):
            r = np.sqrt(float(np.max(coll.get_sizes()))) * dpi / 72.0 / 2
            items.append((np.asarray(coll.get_offsets(), float).reshape(-1, 2), r))
    for line in ax.get_lines():
        if line.get_marker() not in (None, "", "None", " ") and line.get_visible() and \
                line.get_clip_on() and line.get_transform() == ax.transData:
            xy = np.column_stack([np.asarray(line.get_xdata(), float),
                                  np.asarray(line.get_ydata(), float)])
            items.append((xy, line.get_markersize() * dpi / 72.0 / 2))
    for xy, r in items:
        xy = xy[np.isfinite(xy).all(axis=1)]
        if not len(xy) or r < 2:
            continue
        with np.errstate(all="ignore"):
            d = ax.transData.transform(xy)
        ok = np.isfinite(d).all(axis=1)
        d = d[ok]
        inside = (d[:, 0] >= box.x0) & (d[:, 0] <= box.x1) & (d[:, 1] >= box.y0) & \
            (d[:, 1] <= box.y1)
        edge = np.minimum.reduce([d[:, 0] - box.x0, box.x1 - d[:, 0], d[:, 1] - box.y0,
                                  box.y1 - d[:, 1]])
        n += int((inside & (edge < r - 1)).sum())
    return n


def measure(fig, dpi: float) -> dict:
    """Legend overlap, axis-limit excess and the smallest font of a figure at ``dpi``."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = []
    data = {ax: _axes_data(ax) for ax in fig.axes}
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        pts, _ = data[ax]
        entry = {"index": i, "title": ax.get_title() or ax.get_ylabel(),
                 "legend_overlap": _overlap(ax, pts, _legend_boxes(fig, ax, renderer)),
                 "n_points": int(len(pts)),
                 "tick_overlaps": tick_overlaps(ax.xaxis, renderer) +
                 tick_overlaps(ax.yaxis, renderer),
                 "duplicate_labels": duplicate_labels([ax.get_legend()]),
                 "clipped_markers": clipped_markers(ax, dpi)}
        for k, col, shared in (("x", 0, ax.get_shared_x_axes()), ("y", 1, ax.get_shared_y_axes())):
            # shared axes (sharex/sharey) are judged on the data of the whole group
            rng = np.concatenate([data[a][1] for a in shared.get_siblings(ax) if a in data])
            lim = ax.get_xlim() if k == "x" else ax.get_ylim()
            scale = ax.get_xscale() if k == "x" else ax.get_yscale()
            cat = any(_categorical(a.xaxis if k == "x" else a.yaxis)
                      for a in shared.get_siblings(ax))
            entry[f"{k}_excess"] = (_limit_excess(lim, rng[:, col], scale == "log")
                                    if len(rng) and not cat else 0.0)
        axes.append(entry)
    sizes = [(t.get_fontsize(), t.get_text()) for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.get_figure() is not None]
    small = min(sizes, default=(99.0, ""))
    return {"axes": axes, "figure_duplicate_labels": duplicate_labels(fig.legends),
            "min_font_px": float(small[0]) * dpi / 72.0,
            "min_font_text": small[1][:60], "dpi": dpi}


def problems(m: dict, width_px: int | None = None) -> list[str]:
    """Human-readable hygiene problems of a :func:`measure` result (empty when clean)."""
    out = []
    for a in m["axes"]:
        tag = f"axes {a['index']} ({a['title'][:40]!r})"
        if a.get("duplicate_labels"):
            out.append(f"{tag}: legend entries twice: {', '.join(a['duplicate_labels'][:4])}")
        if a.get("clipped_markers"):
            out.append(f"{tag}: {a['clipped_markers']} marker(s) cut by the axes frame")
        if a.get("tick_overlaps"):
            out.append(f"{tag}: tick labels overlap: {', '.join(a['tick_overlaps'][:4])}")
        if a["legend_overlap"] > MAX_LEGEND_OVERLAP:
            out.append(f"{tag}: legend covers {a['legend_overlap']:.0%} of the data points")
        for k in ("x", "y"):
            if a[f"{k}_excess"] > LIMIT_MARGIN:
                out.append(f"{tag}: {k} limits exceed the data range by "
                           f"{a[f'{k}_excess']:.0%} of its span")
    if m.get("figure_duplicate_labels"):
        out.append(f"figure legend entries twice: {', '.join(m['figure_duplicate_labels'][:4])}")
    if m["min_font_px"] < MIN_FONT_PX:
        out.append(f"smallest text {m['min_font_px']:.1f} px < {MIN_FONT_PX} px at "
                   f"{m['dpi']} dpi: {m['min_font_text']!r}")
    if width_px is not None and width_px > MAX_WIDTH_PX:
        out.append(f"image {width_px} px wide > {MAX_WIDTH_PX} px (facet vertically)")
    return out
