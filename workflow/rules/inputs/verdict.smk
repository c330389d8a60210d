# Stage 5 (verdict.smk): the constants and input functions of its rules.
VERDICT = config["verdict"]
VERDICT_STUDY = VERDICT["study"]
VERDICT_GRID_JOBS = {f"dn{r:g}": r for r in VERDICT_STUDY["d_over_n"]}
VERDICT_VARIANTS = {v["name"]: v for v in VERDICT_STUDY["variants"]["list"]}
# what every study job uses, without the d/n list and the variant list (job names carry them)
VERDICT_COMMON = {
    k: v
    for k, v in result_settings("verdict").items()
    if k not in ("study", "theory", "enabled")
}
VERDICT_STUDY_JOB = {k: v for k, v in VERDICT_STUDY.items() if k not in ("d_over_n",)}
VERDICT_STUDY_JOB["variants"] = {
    k: v for k, v in VERDICT_STUDY["variants"].items() if k != "list"
}
VERDICT_JOB = canonical({**VERDICT_COMMON, "study": VERDICT_STUDY_JOB})
FIG_VERDICT = f"{REPORTS}/figures/verdict"
VERDICT_FIGS = {
    "table": ("verdict_table.png", "verdict_table.rst"),
    "study": ("study.png", "verdict_study.rst"),
    "gaps": ("gaps.png", "verdict_gaps.rst"),
    "variants": ("variants.png", "verdict_variants.rst"),
    "sharpness": ("sharpness.png", "verdict_sharpness.rst"),
    "recipes": ("recipes.png", "verdict_recipes.rst"),
}


def verdict_job(wildcards):
    """What one verdict study job trains: a d/n row of the grid (job dn<r>) or one
    verdict.study.variants.list entry (job <name>)."""
    if wildcards.kind == "grid":
        return {"kind": "grid", "d_over_n": VERDICT_GRID_JOBS[wildcards.job]}
    return {"kind": "variant", "variant": canonical(VERDICT_VARIANTS[wildcards.job])}
