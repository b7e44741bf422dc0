"""The compose stack's Prometheus config and the generated recording rules pass Prometheus' own checker."""

import subprocess

import yaml

from dashboards.render import RULES
from tests.conftest import ROOT, tool


def test_promtool_accepts_the_compose_config_and_the_rules():
    promtool = tool("promtool")
    rules = subprocess.run([promtool, "check", "rules", str(ROOT / RULES)], capture_output=True, text=True)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    # the compose config names its rule file by its path inside the container: check a copy that points here
    config = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    config["rule_files"] = [str(ROOT / RULES)]
    local = ROOT / "prometheus" / ".check.yml"
    try:
        local.write_text(yaml.safe_dump(config))
        checked = subprocess.run([promtool, "check", "config", str(local)], capture_output=True, text=True)
    finally:
        local.unlink()
    assert checked.returncode == 0, checked.stdout + checked.stderr
