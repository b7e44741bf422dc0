"""dashboards/json and prometheus/rules.yml are generated from dashboards-as-code; stale files fail.
And what every generated dashboard promises: one run at a time, the report's arm colours, no fixed
currency, a window that holds a whole run."""

import json

from dashboards.defaults import MONEY, WINDOW
from dashboards.render import DASHBOARDS, JSON_DIR, RULES, dashboard_json, rules_yaml
from socialsim.palette import ARM_COLOURS
from socialsim.telemetry.backfill import WALL_SECONDS_PER_SIM_MINUTE
from socialsim.telemetry.names import FASTSTREAM_PREFIX
from tests.conftest import ROOT

# A year of simulated time must fit the default window [wall h]
YEAR_MINUTES = 365 * 24 * 60


def test_generated_dashboards_and_rules_are_current():
    for name in DASHBOARDS:
        assert (ROOT / JSON_DIR / f"{name}.json").read_text() == dashboard_json(name), (
            f"run `python -m dashboards` ({name})"
        )
    assert (ROOT / RULES).read_text() == rules_yaml(), "run `python -m dashboards` (rules)"


def _boards():
    return {name: json.loads(dashboard_json(name)) for name in DASHBOARDS}


def test_every_query_is_filtered_by_the_run_and_arm_variables():
    for name, board in _boards().items():
        assert [v["name"] for v in board["templating"]["list"]] == ["scenario", "run", "arm", "reference"]
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                if FASTSTREAM_PREFIX in expr:  # FastStream's series know only the service (the arm)
                    assert 'app_name=~"$arm"' in expr, (name, panel["title"])
                    continue
                assert 'run="$run"' in expr and 'arm=~"$arm"' in expr, (name, panel["title"], expr)


def test_arm_colours_match_the_report_and_money_follows_the_scenario():
    for name, board in _boards().items():
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["fieldConfig"]["defaults"].get("unit") != "currencyUSD", (name, panel["title"])
            if [t["legendFormat"] for t in panel["targets"]] != ["{{arm}}"]:
                continue  # lines per arm and department: Grafana's palette tells them apart
            fixed = {
                o["matcher"]["options"]: o["properties"][0]["value"]["fixedColor"]
                for o in panel["fieldConfig"]["overrides"]
            }
            assert fixed == ARM_COLOURS, (name, panel["title"])
    comparison = _boards()["strategy-comparison"]["panels"]
    units = {p["title"]: p["fieldConfig"]["defaults"].get("unit") for p in comparison if p["type"] != "row"}
    assert units["Revenue"] == MONEY and MONEY.startswith("currency:")


def test_the_default_window_holds_a_backfilled_year():
    hours = float(WINDOW.removeprefix("now-").removesuffix("h"))
    assert hours * 3600 >= YEAR_MINUTES * WALL_SECONDS_PER_SIM_MINUTE
    assert all(b["time"] == {"from": WINDOW, "to": "now"} for b in _boards().values())


def test_final_value_and_difference_panels():
    panels = _boards()["strategy-comparison"]["panels"]
    stats = [p for p in panels if p["type"] == "stat"]
    assert stats and all(p["options"]["reduceOptions"]["calcs"] == ["lastNotNull"] for p in stats)
    differences = [p for p in panels if p["title"].endswith("minus $reference")]
    assert differences and all('arm="$reference"' in p["targets"][0]["expr"] for p in differences)
