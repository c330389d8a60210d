# shallownc — the two commands a user needs:
#   make run    set up .venv, run the whole pipeline on config.yaml, write reports/report.html
#   make test   set up .venv and run the test suite (this is what CI runs)
# Variables: CORES (default 2; a positive integer or "all"), CONFIG (a --configfile, layered on
# config.yaml unless it says `base: schema` as the presets do, e.g. presets/paper.yaml), SMK_ARGS (more Snakemake options, e.g.
# SMK_ARGS='--forcerun results/data/digits.nc'), TORCH_VARIANT=auto|cpu|cuda
# (see scripts/setup_env.sh), PYTEST_ARGS.
CORES ?= 2
CONFIG ?=
SMK_ARGS ?=
VENV ?= .venv
BIN := $(VENV)/bin
ifeq ($(shell echo '$(CORES)' | grep -Ex '[1-9][0-9]*|all'),)
$(error CORES=$(CORES) is not a positive number of cores (or "all"); e.g. make run CORES=2)
endif
SMK := $(BIN)/snakemake --cores $(CORES) $(if $(CONFIG),--configfile $(CONFIG),) $(SMK_ARGS)
# One line per problem (file not found, YAML syntax error with its line, invalid value)
# before Snakemake starts: Snakemake itself would print a traceback for the first two.
CHECK_CONFIG := PYTHONPATH=$(CURDIR)/src $(BIN)/python -m shallownc.config $(if $(CONFIG),$(CONFIG),config.yaml)
REPORT_DIR := $(if $(CONFIG),$(shell $(BIN)/python -c "import yaml,sys; print((yaml.safe_load(open('$(CONFIG)')) or {}).get('report_dir','reports'))" 2>/dev/null || echo reports),reports)
# Generated files; .checkpoints/ holds resumable training state (training.checkpoint_dir).
# (the presets write to results_paper*/ and reports/paper*/; reports/*.md are sources, kept)
CLEAN := results results_study results_paper results_paper_cpu results_paper_fig3_b100 \
	results_paper_fig3_b8_2lambda logs benchmarks .snakemake .checkpoints \
	reports/figures reports/tables reports/report.html reports/report.zip \
	reports/run_summary.html reports/paper reports/paper-cpu reports/paper-fig3-b100 \
	reports/paper-fig3-b8-2lambda reports/study

.PHONY: setup run report test lint dryrun clean

setup:
	@bash scripts/setup_env.sh

run: setup
	@$(CHECK_CONFIG) >/dev/null
	$(SMK)
	$(SMK) --report $(REPORT_DIR)/report.html
	@echo "report: $(REPORT_DIR)/report.html"

report: setup
	@$(CHECK_CONFIG) >/dev/null
	$(SMK) --report $(REPORT_DIR)/report.html

dryrun: setup
	@$(CHECK_CONFIG) >/dev/null
	$(SMK) -n

# snakefmt is pinned in pyproject.toml's test extra (a formatter's output changes with its version)
lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules/

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# A config with other results_dir/checkpoint_dir keeps its own folders: remove those by hand.
clean:
	rm -rf $(CLEAN)
