"""dashboards/json and prometheus/rules.yml are generated from dashboards-as-code; stale files fail.
And what every generated dashboard promises: one run at a time, the report's arm colours, money in
the currency of the runs it is for (one money dashboard per currency), a window that holds a whole run."""

import json

from dashboards.__main__ import main
from dashboards.defaults import WINDOW, money, shipped_currencies
from dashboards.render import DASHBOARDS, JSON_DIR, RULES, boards, currencies_in, dashboard_json, rules_yaml
from socialsim.palette import ARM_COLOURS
from socialsim.telemetry.backfill import WALL_SECONDS_PER_SIM_MINUTE
from socialsim.telemetry.names import FASTSTREAM_PREFIX
from tests.conftest import ROOT

# A year of simulated time must fit the default window [wall h]
YEAR_MINUTES = 365 * 24 * 60


def test_generated_dashboards_and_rules_are_current():
    expected = boards([*shipped_currencies(), *currencies_in(ROOT / JSON_DIR)])
    assert sorted(p.stem for p in (ROOT / JSON_DIR).glob("*.json")) == sorted(expected), "stale files"
    for name, build in expected.items():
        assert (ROOT / JSON_DIR / f"{name}.json").read_text() == dashboard_json(build), (
            f"run `python -m dashboards` ({name})"
        )
    assert (ROOT / RULES).read_text() == rules_yaml(), "run `python -m dashboards` (rules)"


def _boards(currencies=()):
    return {
        name: json.loads(dashboard_json(build))
        for name, build in {**DASHBOARDS, **boards(currencies)}.items()
    }


def _units(board):
    return {
        p["title"]: p["fieldConfig"]["defaults"].get("unit") for p in board["panels"] if p["type"] != "row"
    }


def test_money_dashboards_come_once_per_currency_with_the_same_queries():
    shipped = shipped_currencies()
    assert shipped == ["USD"]  # every shipped scenario and template is in USD
    all_boards = _boards(["EUR"])
    usd, eur = all_boards["strategy-comparison"], all_boards["strategy-comparison-eur"]
    assert usd["uid"] == "socialsim-strategy-comparison" and usd["title"].endswith("(USD)")
    assert eur["uid"] == "socialsim-strategy-comparison-eur" and eur["title"].endswith("(EUR)")
    money_panels = {t for t, unit in _units(usd).items() if unit == money("USD")}
    assert {"Revenue", "Cost", "Incremental profit"} <= money_panels
    assert {t for t, unit in _units(eur).items() if unit == money("EUR")} == money_panels
    assert {t: u for t, u in _units(eur).items() if t not in money_panels} == {
        t: u for t, u in _units(usd).items() if t not in money_panels
    }
    # same queries, so the real-Prometheus checks of the committed dashboards hold for every currency
    assert [t["expr"] for p in eur["panels"] for t in p.get("targets", [])] == [
        t["expr"] for p in usd["panels"] for t in p.get("targets", [])
    ]
    links = [(link["type"], link["tags"]) for link in eur["links"]]
    assert links == [("dashboards", ["socialsim-money"])] and "socialsim-money" in usd["tags"]


def test_python_m_dashboards_adds_a_currency_and_keeps_it_current(tmp_path, capsys):
    assert main([str(tmp_path), "--currency", "EUR"]) == 0
    assert (tmp_path / JSON_DIR / "strategy-comparison-eur.json").is_file()
    (tmp_path / JSON_DIR / "strategy-comparison-eur.json").write_text("stale")
    assert main([str(tmp_path)]) == 0  # a plain regeneration rewrites the EUR dashboard too
    board = json.loads((tmp_path / JSON_DIR / "strategy-comparison-eur.json").read_text())
    assert _units(board)["Revenue"] == money("EUR")
    capsys.readouterr()
    assert main([str(tmp_path), "--currency", "euro"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--currency" in err and "ISO 4217" in err


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
    assert _units(_boards()["strategy-comparison"])["Revenue"] == money(shipped_currencies()[0])


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
