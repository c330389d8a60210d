"""The report's links into the checkout (docs/, reports/*.md) open from the report's own
place, <report_dir>/report.html, for the default and the paper presets (issue 24: they were
written for reports/report.html only)."""
import re
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CAPTIONS = sorted((ROOT / "workflow" / "report").glob("*.rst"))


class _Snakemake:
    def __init__(self, config):
        self.config = config
        self.wildcards = jinja2.ChainableUndefined()


@pytest.mark.parametrize("config", ["config.yaml", "presets/paper.yaml",
                                    "presets/paper-cpu.yaml"])
def test_every_relative_link_of_the_report_resolves_from_its_report_dir(config):
    cfg = yaml.safe_load((ROOT / config).read_text())
    env = jinja2.Environment(undefined=jinja2.ChainableUndefined)
    where = ROOT / cfg["report_dir"]
    links = []
    for rst in CAPTIONS:
        text = env.from_string(rst.read_text()).render(snakemake=_Snakemake(cfg), files=[],
                                                       categories={})
        links += [(rst.name, u) for u in re.findall(r"<([^<>]+)>`__", text)
                  if not u.startswith(("javascript:", "http"))]
    assert len(links) >= 20
    broken = [(name, u) for name, u in links if not (where / u).resolve().is_file()]
    assert not broken, broken
