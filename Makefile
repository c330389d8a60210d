# shallownc — the two commands a user needs:
#   make run    set up .venv, run the whole pipeline on config.yaml, write reports/report.html
#   make test   set up .venv and run the test suite (this is what CI runs)
# Variables: CORES (default 2), CONFIG (extra --configfile, e.g. presets/paper.yaml),
# TORCH_VARIANT=auto|cpu|cuda (see scripts/setup_env.sh), PYTEST_ARGS.
CORES ?= 2
CONFIG ?=
VENV ?= .venv
BIN := $(VENV)/bin
SMK := $(BIN)/snakemake --cores $(CORES) $(if $(CONFIG),--configfile $(CONFIG),)
REPORT_DIR := $(if $(CONFIG),$(shell $(BIN)/python -c "import yaml,sys; print((yaml.safe_load(open('$(CONFIG)')) or {}).get('report_dir','reports'))" 2>/dev/null || echo reports),reports)

.PHONY: setup run report test lint dryrun clean

setup:
	@bash scripts/setup_env.sh

run: setup
	$(SMK)
	$(SMK) --report $(REPORT_DIR)/report.html
	@echo "report: $(REPORT_DIR)/report.html"

report: setup
	$(SMK) --report $(REPORT_DIR)/report.html

dryrun: setup
	$(SMK) -n

lint: setup
	$(BIN)/snakemake --lint

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf results logs benchmarks .snakemake reports/figures reports/report.html
