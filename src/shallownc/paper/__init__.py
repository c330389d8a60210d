"""The paper's own figures and theorems (Hong & Ling, arXiv 2409.01832), in one place.

* :mod:`.lp` — Figures 1-2: verified class LPs on the paper's (d, sigma) grids;
* :mod:`.table` — the table of the paper's figures and theorems: what each shows, the
  Snakemake target that reproduces it and its output paths (rule files and the CLI read them
  from here);
* :mod:`.training` — Figures 3-6: trained two- and three-layer networks;
* :mod:`.theorems` and :mod:`.kernels` — the Theorem 6 and Theorems 7-8 panels;
* :mod:`.plot_lp`, :mod:`.plot_training`, :mod:`.plot_theorems` — their drawings.

:mod:`.lp` runs on the verified LP engine (shallownc.feasibility) and the grid model
(shallownc.grid); :mod:`.curves` adds the paper's theory curves to the project's
(shallownc.bounds) and assembles each figure (paper_panel_curves, paper_figure_dataset).
"""
