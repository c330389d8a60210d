"""Extract the curves of the paper's Figures 3-5 from the vector graphics of its PDF.

Hong & Ling, JMLR 27(82) 2026 (CC-BY 4.0), public repository JmlrOrg/v27, file
24-1429/24-1429.pdf. Every curve of Figures 3-5 is a matplotlib polyline in the PDF; this
script reads the polylines (pymupdf), maps page coordinates to data coordinates with the
axes' tick labels (log y: a least-squares fit of the label centres against their exponents;
x: Figure 3's six d/n values, Figures 4-5's tick labels 0 ... 100000; a point drawn below
the axes rectangle is written as 0, see fig45_rows) and writes one CSV
row per point: reports/runs/fig3_paper_length/paper_figures.csv (committed; the report compares our
paper-length cells with it). Reading accuracy: about +-1 point of page height, i.e.
+-0.03 decades (+-7 %) on the log axes.

Needs pymupdf (not a pipeline dependency):  pip install pymupdf
    python scripts/extract_paper_figures.py path/to/24-1429.pdf [out.csv]
"""
from __future__ import annotations

import csv
import sys

import numpy as np

#: legend order of Figure 3 (sigma) and Figures 4-5 (d); matplotlib's default colour cycle
FIG3_SIGMA = [0.18, 0.36, 0.53, 0.8, 1.07, 1.42]
FIG45_D = [330, 390, 450, 600, 900, 1200]
FIG3_DN = [1.1, 1.3, 1.5, 2.0, 3.0, 4.0]
PANELS = {("left", "top"): "nc1", ("right", "top"): "nc2_h_paper",
          ("left", "bottom"): "nc2_w_paper", ("right", "bottom"): "nc3_paper"}
PAGES = {"fig3": 19, "fig4": 20, "fig5": 21}     # 0-based page index in the JMLR PDF


def polylines(page, min_points: int):
    """(colour, [(x, y), ...]) of every stroked polyline with at least ``min_points`` points."""
    out = []
    for g in page.get_drawings():
        pts = [(it[2].x, it[2].y) for it in g["items"] if it[0] == "l"]
        first = [(it[1].x, it[1].y) for it in g["items"][:1] if it[0] == "l"]
        pts = first + pts
        if len(pts) >= min_points and g.get("color") is not None:
            out.append((tuple(round(c, 3) for c in g["color"]), pts))
    return out


def log_axis(labels):
    """(a, b) with log10(value) = a + b * y from tick labels [(y_centre, exponent)]."""
    y = np.array([l[0] for l in labels]); e = np.array([l[1] for l in labels], float)
    b, a = np.polyfit(y, e, 1)
    return a, b


def y_labels(page, x_lo, x_hi, y_lo, y_hi):
    """Tick labels '10^-k' (text '10−k') in a box: [(y_centre, -k)]."""
    out = []
    for w in page.get_text("words"):
        t = w[4]
        if x_lo <= w[0] <= x_hi and y_lo <= w[1] <= y_hi and t.startswith("10\u2212"):
            out.append(((w[1] + w[3]) / 2, -int(t[3:])))
    if len(out) < 2:
        raise ValueError(f"fewer than two y tick labels in box {x_lo, x_hi, y_lo, y_hi}")
    return out


def x_axis(page, y_lo, y_hi):
    """(a, b) with epoch = a + b * x from the epoch tick labels 0 ... 100000."""
    xs, vs = [], []
    for w in page.get_text("words"):
        if y_lo <= w[1] <= y_hi and w[4].isdigit() and w[0] < 300:
            xs.append((w[0] + w[2]) / 2); vs.append(int(w[4]))
    if len(xs) < 2:
        raise ValueError("no epoch tick labels found")
    b, a = np.polyfit(xs, vs, 1)
    return a, b


def fig3_rows(doc):
    page = doc[PAGES["fig3"]]
    a, b = log_axis(y_labels(page, 140, 165, 100, 300))
    lines = [pts for _, pts in polylines(page, 6) if len({round(x, 1) for x, _ in pts}) == 6]
    if len(lines) != 6:
        raise ValueError(f"Figure 3: expected 6 curves, found {len(lines)}")
    rows = []
    for sigma, pts in zip(FIG3_SIGMA, lines):
        xs = sorted({round(x, 1) for x, _ in pts})
        for dn, xx in zip(FIG3_DN, xs):
            y = np.mean([q for p, q in pts if round(p, 1) == xx])
            rows.append({"figure": "3", "metric": "nc1", "sigma": sigma, "d": round(dn * 300),
                         "d_over_n": dn, "epoch": "", "value": f"{10 ** (a + b * y):.3g}"})
    return rows


def fig45_rows(doc, fig: str, sigma: float):
    page = doc[PAGES[fig]]
    ex = x_axis(page, 340, 352)
    rows = []
    for (col, row), metric in PANELS.items():
        xb = (100, 126) if col == "left" else (315, 341)
        yb = (110, 225) if row == "top" else (240, 350)
        a, b = log_axis(y_labels(page, *xb, *yb))
        bottom = axes_bottom(page, yb)
        x0 = 130 if col == "left" else 340
        curves = [pts for _, pts in polylines(page, 90)
                  if x0 <= min(p for p, _ in pts) <= x0 + 15 and yb[0] <= pts[0][1] <= yb[1]]
        if len(curves) != 6:
            raise ValueError(f"{fig} {metric}: expected 6 curves, found {len(curves)}")
        shift = 0.0 if col == "left" else curves[0][0][0] - ex_left_origin(page, ex)
        for d, pts in zip(FIG45_D, curves):
            for p, q in pts:
                epoch = ex[0] + ex[1] * (p - shift)
                # a point drawn below the axes (clipped by them) is a zero on the log axis, a
                # float32 zero (paper, Sec. 3.2: "NC2,W actually becomes 0 under
                # single-precision"): written as 0
                rows.append({"figure": fig[3:], "metric": metric, "sigma": sigma, "d": d,
                             "d_over_n": round(d / 300, 3), "epoch": f"{max(epoch, 0):.0f}",
                             "value": "0" if q > bottom + 0.5 else f"{10 ** (a + b * q):.3g}"})
    return rows


def axes_bottom(page, yb) -> float:
    """Page y of the lower edge of the axes rectangle of the panel row spanning ``yb``."""
    rects = [it[1] for g in page.get_drawings() for it in g["items"] if it[0] == "re"]
    rows = [r.y1 for r in rects if yb[0] <= r.y0 <= yb[1] and r.y1 - r.y0 < 150]
    if not rows:
        raise ValueError(f"no axes rectangle in the panel row {yb}")
    return max(rows)


def ex_left_origin(page, ex):
    """Page x of epoch 0 on the left column (the right column is the same axis shifted)."""
    return -ex[0] / ex[1]


def main(argv):
    import pymupdf

    if len(argv) < 2:
        raise SystemExit(__doc__)
    doc = pymupdf.open(argv[1])
    out = argv[2] if len(argv) > 2 else "reports/runs/fig3_paper_length/paper_figures.csv"
    rows = fig3_rows(doc) + fig45_rows(doc, "fig4", 0.18) + fig45_rows(doc, "fig5", 1.42)
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader(); w.writerows(rows)
    print(f"{len(rows)} points -> {out}")


if __name__ == "__main__":
    main(sys.argv)
