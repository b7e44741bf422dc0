"""dashboards/json and prometheus/rules.yml are generated from dashboards-as-code; stale files fail."""

from dashboards.render import DASHBOARDS, JSON_DIR, RULES, dashboard_json, rules_yaml
from tests.conftest import ROOT


def test_generated_dashboards_and_rules_are_current():
    for name in DASHBOARDS:
        assert (ROOT / JSON_DIR / f"{name}.json").read_text() == dashboard_json(name), (
            f"run `python -m dashboards` ({name})"
        )
    assert (ROOT / RULES).read_text() == rules_yaml(), "run `python -m dashboards` (rules)"
