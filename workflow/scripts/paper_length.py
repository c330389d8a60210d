"""The paper's Figure 3 cells at the paper's length (committed runs, issue 26): their table
(CSV) and their figure beside the paper's Figures 3-5 (shallownc.paper.paper_length)."""
from shallownc.paper import paper_length
from shallownc.smk import logged

with logged(snakemake) as log:
    table = paper_length.plot(snakemake.input.cells, snakemake.input.paper,
                              snakemake.output.png)
    table.to_csv(snakemake.output.csv, index=False, float_format="%.4g")
    log.info("%d committed (recipe, sigma, d) cells drawn", len(table))
