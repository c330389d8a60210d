"""The paper's own figures and theorems (Hong & Ling, arXiv 2409.01832), in one place.

* :mod:`.lp` — Figures 1-2: verified class LPs on the paper's (d, sigma) grids;
* :mod:`.table` — the table of the paper's figures and theorems: what each shows, the
  Snakemake target that reproduces it and its output paths (rule files and the CLI read them
  from here);
* :mod:`.training` — Figures 3-6: trained two- and three-layer networks;
* :mod:`.theorems` and :mod:`.kernels` — the Theorem 6 and Theorems 7-8 panels;
* :mod:`.plot_lp`, :mod:`.plot_training`, :mod:`.plot_theorems` — their drawings.

The verified class LPs of Figures 1-2 run on the feasibility engine (shallownc.phase,
shallownc.feasibility) and the theory curves of their panels come from shallownc.bounds.
"""
