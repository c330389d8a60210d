# Stage 7 — feasibility figures (other stages draw theirs in their own rule files).
# Every figure reads only NetCDF results and carries an rst caption in workflow/report/.

PHASE_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "phase"]
NOISE_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "pure_noise"]
REAL_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "real"]
FIG_FEAS = f"{REPORTS}/figures/feasibility"


rule figure_phase_diagram:
    conda:
        CONDA_ENV
    input:
        f"{RESULTS}/feasibility/{{grid}}.nc",
    output:
        report(
            f"{FIG_FEAS}/phase_{{grid}}.png",
            caption="../report/feasibility_phase.rst",
            category="Feasibility",
            subcategory="Phase diagrams",
            labels={"entry": "verified phase diagram", "parameters": "grid {grid}",
                    "paper": "cf. Figures 1-2 (Theorem 3)"},
        ),
    log:
        "logs/figures/phase_{grid}.log",
    params:
        code=code_version("phase", "figures/__init__", "figures/feasibility"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_feasibility.py"


rule figure_separability:
    conda:
        CONDA_ENV
    input:
        expand(f"{RESULTS}/feasibility/{{grid}}.nc", grid=PHASE_GRIDS),
    output:
        report(
            f"{FIG_FEAS}/separability_vs_nc.png",
            caption="../report/feasibility_separability.rst",
            category="Feasibility",
            subcategory="Separability",
            labels={"entry": "separability vs NC-feasibility", "paper": "beyond the paper"},
        ),
    log:
        "logs/figures/separability_vs_nc.log",
    params:
        code=code_version("phase", "figures/__init__", "figures/feasibility"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_feasibility.py"


rule figure_pure_noise:
    conda:
        CONDA_ENV
    input:
        expand(f"{RESULTS}/feasibility/{{grid}}.nc", grid=NOISE_GRIDS),
    output:
        report(
            f"{FIG_FEAS}/pure_noise.png",
            caption="../report/feasibility_pure_noise.rst",
            category="Feasibility",
            subcategory="Pure noise",
            labels={"entry": "pure noise", "paper": "Theorem 5(b): d/n = (K+1)/2"},
        ),
    log:
        "logs/figures/pure_noise.log",
    params:
        code=code_version("phase", "figures/__init__", "figures/feasibility"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_feasibility.py"


rule figure_real_data:
    conda:
        CONDA_ENV
    input:
        f"{RESULTS}/feasibility/{{grid}}.nc",
    output:
        report(
            f"{FIG_FEAS}/real_{{grid}}.png",
            caption="../report/feasibility_real.rst",
            category="Feasibility",
            subcategory="Real data",
            labels={"entry": "digits (real data)", "parameters": "grid {grid}",
                    "paper": "beyond the paper (real data, Theorem 3)"},
        ),
    log:
        "logs/figures/real_{grid}.log",
    params:
        code=code_version("phase", "figures/__init__", "figures/feasibility"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_feasibility.py"


ALL_TARGETS += expand(f"{FIG_FEAS}/phase_{{grid}}.png", grid=PHASE_GRIDS)
ALL_TARGETS += expand(f"{FIG_FEAS}/real_{{grid}}.png", grid=REAL_GRIDS)
if PHASE_GRIDS:
    ALL_TARGETS.append(f"{FIG_FEAS}/separability_vs_nc.png")
if NOISE_GRIDS:
    ALL_TARGETS.append(f"{FIG_FEAS}/pure_noise.png")
