"""The default world reproduces the published facts (a small-replication `socialsim facts`), and a
study redone from the written outputs gives the suite's figures. The studies themselves are
checked on hand-written event logs in tests/unit/test_fact_studies.py."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.cli import app
from socialsim.comparison import run
from socialsim.facts import studies, suite
from socialsim.facts.catalogue import FACTS
from socialsim.facts.suite import run_facts, studied_scenario
from tests.conftest import small

DAY = 1440.0


@pytest.fixture(scope="module")
def default_results():
    return {r.fact.id: r for r in run_facts(replications=3, workers=2)}


@pytest.mark.parametrize("fact", [f.id for f in FACTS])
def test_default_world_reproduces_the_fact(default_results, fact):
    result = default_results[fact]
    assert result.passed, [m.as_dict() for m in result.measures]


def test_the_suite_catches_a_world_without_the_latency_mechanism():
    """With help that no longer decays with delay, the fast-reply and latency facts must fail."""
    latency = tuple(f for f in FACTS if f.id in ("fast-reply-wtp", "telecom-latency"))
    sets = ["world.reactions.help_half_life_minutes=14400"]
    results = run_facts(latency, sets=sets, replications=3, workers=2)
    assert [r.passed for r in results] == [False, False], [r.as_dict()["simulated"] for r in results]


def test_the_suite_catches_a_world_without_the_network_mechanisms():
    """Without churn contagion and without retelling of bad news, those two facts must fail."""
    network = tuple(f for f in FACTS if f.id in ("churn-contagion", "negative-reach"))
    sets = ["world.reactions.churn_contagion=0", "world.reactions.retelling_negative=1"]
    results = run_facts(network, sets=sets, replications=2, workers=2)
    assert [r.passed for r in results] == [False, False], [r.as_dict()["simulated"] for r in results]


def test_the_campaign_lift_study_runs_its_own_holdout():
    """The lift study's design sets a holdout; the other studies of its scenario run without one."""
    lift = next(f for f in FACTS if f.id == "campaign-lift")
    assert any("campaign_holdout_share" in s for s in lift.design_settings)
    sc = studied_scenario(lift.scenario, {lift.arm}, list(lift.design_settings), replications=2)
    assert sc.world.population.campaign_holdout_share > 0
    assert (
        studied_scenario(lift.scenario, {lift.arm}, replications=2).world.population.campaign_holdout_share
        == 0
    )


def test_an_arm_studied_alone_is_the_same_arm():
    """The suite simulates only the studied arm; common random numbers make that the same arm
    (docs/architecture.md, Invariants: Common random numbers)."""
    together = small("telecom-carrier", customers=400, days=20)
    alone = studied_scenario("telecom-carrier", {"marketing-led"}, customers=400, days=20, replications=2)

    def events(sc):
        return pd.concat([t.to_pandas() for t in run(sc, inprocess_transport(), baseline=no_social()).events])

    a = events(together).query("arm == 'marketing-led'").reset_index(drop=True)
    b = events(alone).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_facts_json_has_the_public_keys_and_the_exit_code_follows_it():
    """Also: studies simulated in two processes give the figures of one process."""
    size = {"replications": 2, "customers": 300, "days": 14}
    result = CliRunner().invoke(
        app, ["facts", "--json", "--workers", "2", *(f"--{k}={v}" for k, v in size.items())]
    )
    rows = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    assert [r["id"] for r in rows] == [f.id for f in FACTS]
    for row in rows:
        assert {"id", "source", "published", "simulated", "ci95", "band", "passed"} <= set(row)
    assert result.exit_code == (0 if all(r["passed"] for r in rows) else 1)
    one_process = json.loads(json.dumps([r.as_dict() for r in run_facts(**size)]))
    assert rows == one_process


def test_facts_names_a_bad_setting():
    result = CliRunner().invoke(app, ["facts", "--set", "world.reactions.help_half_life_minutes=-1"])
    assert result.exit_code == 2
    assert "world.reactions.help_half_life_minutes" in result.output


def _die(sc):
    """A study's simulation whose process dies (as the kernel's out-of-memory killer would end it)."""
    os._exit(1)


def test_a_study_process_that_dies_is_one_line_and_exit_1(monkeypatch):
    monkeypatch.setattr(suite, "simulate", _die)  # the pool's forked workers see it too
    size = ["--customers", "300", "--days", "5", "--replications", "2"]
    result = CliRunner().invoke(app, ["facts", "--workers", "2", *size])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("error: a study's simulation process died")


def test_facts_on_a_scenario_without_the_studied_arm_names_its_arms(tmp_path, scenario_path):
    renamed = tmp_path / "no-marketing.yaml"
    renamed.write_text(
        scenario_path.read_text(encoding="utf-8").replace("- name: marketing-led", "- name: sales-led"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["facts", "--scenario", str(renamed), "--replications", "2"])
    assert result.exit_code == 2
    assert "marketing-led" in result.output and "sales-led" in result.output and str(renamed) in result.output


def test_a_study_redone_from_the_written_outputs_gives_the_suites_figures(tmp_path):
    """An analyst with only events.parquet and manifest.json gets the suite's numbers."""
    # 90 days: the squeaky-wheel trust needs complainers followed long enough (at 45 days it is NaN)
    options = ["--customers", "400", "--days", "90", "--replications", "2"]
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["compare", "telecom-carrier", *options, "--out", str(out)])
    assert result.exit_code == 0, result.output
    events = pd.read_parquet(out / "events.parquet").query("arm == 'marketing-led'")
    horizon = (
        json.loads((out / "manifest.json").read_text())["resolved_config"]["world"]["horizon"]["days"] * DAY
    )
    redone = [
        (studies.unanswered_complaints(e), studies.SqueakyWheel().trust(e, horizon))
        for _, e in events.groupby("replication")
    ]

    squeaky, care = (f for f in FACTS if f.id in ("squeaky-wheel", "typical-care"))
    by_suite = {r.fact.id: r for r in run_facts((care, squeaky), customers=400, days=90, replications=2)}
    assert [u for u, _ in redone] == list(by_suite["typical-care"].measures[0].per_replication)
    assert [t for _, t in redone] == pytest.approx(
        list(by_suite["squeaky-wheel"].measures[1].per_replication), rel=1e-12
    )
