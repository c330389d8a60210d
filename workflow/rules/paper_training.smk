# The paper's training figures (Figures 3-6) and theorem panels (Theorem 6, Theorems 7-8):
# shallownc.paper_training, shallownc.paper_theorems, shallownc.kernels; reports/paper.md.
# Targets: fig3 fig4 fig5 fig6 theorem6 theorem78, and `paper` (all paper figures, with fig1
# fig2 of workflow/rules/paper_lp.smk when that file is included before this one).
# Jobs: Figure 3 one per d (all sigma values batched), Figure 6 one per d1; Figures 4-5 select
# sigma from Figure 3's runs. Checkpoints in paper.train.checkpoint_dir (outside every output).
from shallownc import paper_training

PAPER = config["paper"]
PAPER_TRAIN_CFG = PAPER["train"]
PAPER_TRAIN_CODE = code_version("paper_training", "normalization", "upfm", "training",
                                "models", "metrics", "data", "feasibility")
PAPER_THEOREM_CODE = code_version("paper_theorems", "kernels", "paper_training", "upfm",
                                  "random_features", "generalization", "feasibility", "data")
PAPER_FIG3_D = sorted({int(round(r * PAPER["fig3"]["n"])) for r in PAPER["fig3"]["d_over_n"]})
PAPER_FIG6_D1 = paper_training.fig6_widths(
    PAPER["fig6"], 10 * (PAPER["fig6"]["n_per_class"] or paper_training.DIGITS_MIN_CLASS)
)
PAPER_FIGS = ["fig3", "fig4", "fig5", "fig6", "theorem6", "theorem78"]
for _s, _f in ((PAPER["fig3"]["fig4_sigma"], "fig4"), (PAPER["fig3"]["fig5_sigma"], "fig5")):
    if not any(abs(_s - s) < 1e-12 for s in PAPER["fig3"]["sigma"]):
        raise ValueError(f"invalid configuration: paper.fig3.{_f}_sigma = {_s} is not one of "
                         f"paper.fig3.sigma {PAPER['fig3']['sigma']}")


rule paper_fig3_job:
    output:
        f"{RESULTS}/paper/fig3/d{{d}}.nc",
    log:
        "logs/paper/fig3_d{d}.log",
    benchmark:
        "benchmarks/paper/fig3_d{d}.tsv"
    wildcard_constraints:
        d=r"[0-9]+",
    params:
        fig=as_json({k: v for k, v in PAPER["fig3"].items() if k != "d_over_n"}),
        train=as_json(PAPER_TRAIN_CFG),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        checkpoint_dir=f"{PAPER_TRAIN_CFG['checkpoint_dir']}/fig3",
        code=PAPER_TRAIN_CODE,
    threads: PAPER_TRAIN_CFG["threads"]
    resources:
        mem_mb=4000,
        runtime=1440,
        gpu=PAPER_TRAIN_CFG["gpus_per_job"],
    conda:
        CONDA_ENV
    script:
        "../scripts/paper_train.py"


rule paper_fig6_job:
    output:
        f"{RESULTS}/paper/fig6/d1_{{d1}}.nc",
    log:
        "logs/paper/fig6_d1_{d1}.log",
    benchmark:
        "benchmarks/paper/fig6_d1_{d1}.tsv"
    wildcard_constraints:
        d1=r"[0-9]+",
    params:
        fig=as_json({k: v for k, v in PAPER["fig6"].items() if k != "d1_over_N"}),
        train=as_json(PAPER_TRAIN_CFG),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        checkpoint_dir=f"{PAPER_TRAIN_CFG['checkpoint_dir']}/fig6",
        code=PAPER_TRAIN_CODE,
    threads: PAPER_TRAIN_CFG["threads"]
    resources:
        mem_mb=8000,
        runtime=1440,
        gpu=PAPER_TRAIN_CFG["gpus_per_job"],
    conda:
        CONDA_ENV
    script:
        "../scripts/paper_train.py"


rule paper_combine:
    input:
        lambda wc: (
            expand(f"{RESULTS}/paper/fig3/d{{d}}.nc", d=PAPER_FIG3_D)
            if wc.fig == "fig3"
            else expand(f"{RESULTS}/paper/fig6/d1_{{d1}}.nc", d1=PAPER_FIG6_D1)
        ),
    output:
        f"{RESULTS}/paper/{{fig}}.nc",
    log:
        "logs/paper/{fig}.combine.log",
    wildcard_constraints:
        fig="fig3|fig6",
    params:
        dim=lambda wc: "d" if wc.fig == "fig3" else "d1",
        code=code_version("paper_training"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/paper_combine.py"


rule paper_fig45:
    input:
        f"{RESULTS}/paper/fig3.nc",
    output:
        f"{RESULTS}/paper/{{fig}}.nc",
    log:
        "logs/paper/{fig}.select.log",
    wildcard_constraints:
        fig="fig4|fig5",
    params:
        sigma=lambda wc: PAPER["fig3"][f"{wc.fig}_sigma"],
        figure=lambda wc: f"Figure {wc.fig[-1]}",
        code=code_version("paper_training"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/paper_combine.py"


rule paper_theorem:
    output:
        f"{RESULTS}/paper/{{fig}}.nc",
    log:
        "logs/paper/{fig}.log",
    benchmark:
        "benchmarks/paper/{fig}.tsv"
    wildcard_constraints:
        fig="theorem6|theorem78",
    params:
        cfg=lambda wc: as_json(PAPER[wc.fig]),
        fig6=as_json(PAPER["fig6"]),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        code=PAPER_THEOREM_CODE,
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
    conda:
        CONDA_ENV
    script:
        "../scripts/paper_theorem.py"


rule paper_figure:
    input:
        f"{RESULTS}/paper/{{fig}}.nc",
    output:
        report(
            f"{REPORTS}/figures/paper/{{fig}}.png",
            caption="../report/paper_figure.rst",
            category="Paper figures",
            labels=lambda wc: __import__("shallownc.paper_figures").paper_figures.report_labels(
                wc.fig
            ),
        ),
    log:
        "logs/figures/paper_{fig}.log",
    wildcard_constraints:
        fig="|".join(PAPER_FIGS),
    params:
        code=code_version("figures/__init__", "figures/paper_training", "figures/paper_theorems",
                          "paper_theorems", "kernels"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/paper_plot.py"


# Target rules (no output: they only name what `snakemake fig3` etc. builds; the log lists it).
for _fig in PAPER_FIGS:

    rule:
        name:
            _fig
        input:
            f"{RESULTS}/paper/{_fig}.nc",
            f"{REPORTS}/figures/paper/{_fig}.png",
        log:
            f"logs/paper/target_{_fig}.log",
        localrule: True
        threads: 1
        resources:
            mem_mb=100,
            runtime=1,
        conda:
            CONDA_ENV
        shell:
            "echo {input} > {log}"


rule paper:
    input:
        expand(f"{RESULTS}/paper/{{fig}}.nc", fig=PAPER_FIGS),
        expand(f"{REPORTS}/figures/paper/{{fig}}.png", fig=PAPER_FIGS),
        globals().get("PAPER_LP_TARGETS", []),
    log:
        "logs/paper/target_paper.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=100,
        runtime=1,
    conda:
        CONDA_ENV
    shell:
        "echo {input} > {log}"
