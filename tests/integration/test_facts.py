"""The default world reproduces the published facts (a small-replication `socialsim facts`), and
the virtual studies measure what they say they measure."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from socialsim.bootstrap import inprocess_transport
from socialsim.cli import app
from socialsim.comparison import run
from socialsim.facts import studies
from socialsim.facts.catalogue import FACTS
from socialsim.facts.suite import run_facts, studied_scenario
from tests.conftest import small

DAY = 1440.0


@pytest.fixture(scope="module")
def default_results():
    return {r.fact.id: r for r in run_facts(replications=3)}


@pytest.mark.parametrize("fact", [f.id for f in FACTS])
def test_default_world_reproduces_the_fact(default_results, fact):
    result = default_results[fact]
    assert result.passed, [m.as_dict() for m in result.measures]


def test_the_suite_catches_a_world_without_the_latency_mechanism():
    """With help that no longer decays with delay, the fast-reply and latency facts must fail."""
    latency = tuple(f for f in FACTS if f.id in ("fast-reply-wtp", "telecom-latency"))
    results = run_facts(latency, sets=["world.reactions.help_half_life_minutes=100000"], replications=3)
    assert [r.passed for r in results] == [False, False], [r.as_dict()["simulated"] for r in results]


def test_an_arm_studied_alone_is_the_same_arm():
    """The suite simulates only the studied arm; common random numbers make that the same arm."""
    together = small("telecom-carrier", customers=400, days=20)
    alone = studied_scenario("telecom-carrier", {"marketing-led"}, customers=400, days=20, replications=2)

    def events(sc):
        return pd.concat([t.to_pandas() for t in run(sc, inprocess_transport()).events])

    a = events(together).query("arm == 'marketing-led'").reset_index(drop=True)
    b = events(alone).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_facts_json_has_the_public_keys_and_the_exit_code_follows_it():
    result = CliRunner().invoke(
        app, ["facts", "--json", "--replications", "2", "--customers", "400", "--days", "45"]
    )
    rows = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    assert [r["id"] for r in rows] == [f.id for f in FACTS]
    for row in rows:
        assert {"id", "source", "published", "simulated", "ci95", "band", "passed"} <= set(row)
    assert result.exit_code == (0 if all(r["passed"] for r in rows) else 1)


def test_facts_names_a_bad_setting():
    result = CliRunner().invoke(app, ["facts", "--set", "world.reactions.help_half_life_minutes=-1"])
    assert result.exit_code == 2
    assert "world.reactions.help_half_life_minutes" in result.output


# ---- the studies on hand-written event logs -----------------------------------------------------


def _log(rows: list[dict]) -> pd.DataFrame:
    base = {
        "arm": "a",
        "replication": 0,
        "segment": "s",
        "intent": None,
        "action": None,
        "delay_minutes": None,
        "helped": None,
        "trust": None,
        "amount_dollars": None,
        "conversation_id": None,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def _post(
    cid: str,
    customer: int,
    minute: float,
    replied: bool,
    delay: float = 5.0,
    helped: bool = False,
    trust: float = 0.7,
    intent: str = "question",
    segment: str = "s",
) -> list[dict]:
    return [
        {
            "kind": "conversation",
            "conversation_id": cid,
            "customer": customer,
            "minute": minute,
            "intent": intent,
            "segment": segment,
        },
        {
            "kind": "response",
            "conversation_id": cid,
            "customer": customer,
            "minute": minute + delay,
            "intent": intent,
            "segment": segment,
            "action": "answer" if replied else "none",
            "delay_minutes": delay if replied else 120.0,
            "helped": helped,
            "trust": trust,
        },
    ]


def _bill(customer: int, minute: float, dollars: float, segment: str = "s") -> dict:
    return {
        "kind": "purchase",
        "action": "recurring",
        "customer": customer,
        "minute": minute,
        "amount_dollars": dollars,
        "segment": segment,
    }


def test_spend_uplift_compares_the_bills_around_each_isolated_post():
    log = _log(
        [
            _bill(1, 0.0, 100.0),
            *_post("c1", 1, 10 * DAY, replied=True, delay=3.0),
            _bill(1, 30 * DAY, 110.0),
            _bill(2, 0.0, 50.0),
            *_post("c2", 2, 10 * DAY, replied=False),
            _bill(2, 30 * DAY, 50.0),
            _bill(3, 0.0, 80.0),
            *_post("c3", 3, 10 * DAY, replied=True, delay=40.0),
            _bill(3, 30 * DAY, 84.0),
            # two posts between the same bills: neither is isolated, so neither counts
            _bill(4, 0.0, 10.0),
            *_post("c4", 4, 5 * DAY, replied=True),
            *_post("c5", 4, 6 * DAY, replied=False),
            _bill(4, 30 * DAY, 99.0),
        ]
    )
    posts = studies.with_bill_ratio(studies.service_posts(log), log)
    assert sorted(posts["conversation_id"]) == ["c1", "c2", "c3"]
    assert studies.SpendUplift()(posts) == pytest.approx((1.10 + 1.05) / 2 - 1.0)
    assert studies.SpendUplift(max_delay_minutes=6)(posts) == pytest.approx(0.10)
    assert studies.SpendUplift(min_delay_minutes=20)(posts) == pytest.approx(0.05)


def test_standardised_mean_weighs_segments_by_the_common_mix():
    frame = pd.DataFrame({"segment": ["x", "x", "x", "y"], "v": [1.0, 1.0, 1.0, 3.0]})
    assert studies.standardised_mean(frame, "v", pd.Series({"x": 0.5, "y": 0.5})) == pytest.approx(2.0)
    assert studies.standardised_mean(frame, "v", pd.Series({"x": 1.0})) == pytest.approx(1.0)


def test_word_of_mouth_ratio_leaves_out_voice():
    log = _log(
        [
            {"kind": "wom_positive", "action": "talk", "minute": 1.0},
            {"kind": "wom_positive", "action": "reaction", "minute": 2.0},
            {"kind": "wom_negative", "action": "reaction", "minute": 3.0},
            {"kind": "wom_negative", "action": "voice", "minute": 4.0},
        ]
    )
    assert studies.wom_ratio(log) == 2.0


def test_squeaky_wheel_counts_later_complaints_in_the_follow_up_window():
    c = "complaint"
    log = _log(
        [
            *_post("h1", 1, 1 * DAY, True, helped=True, trust=0.8, intent=c),
            *_post("h2", 1, 20 * DAY, True, intent=c),
            *_post("h3", 1, 80 * DAY, True, intent=c),  # after the 60-day follow-up: not counted
            *_post("u1", 2, 1 * DAY, False, trust=0.6, intent=c),
            *_post(
                "late", 3, 70 * DAY, False, trust=0.9, intent=c
            ),  # less than 60 days of horizon left: not studied
        ]
    )
    rate, trust = studies.SqueakyWheel(follow_up_days=60).differences(log, horizon_minutes=120 * DAY)
    assert rate == pytest.approx(1 * 30 / 60)
    assert trust == pytest.approx(0.2)


def test_typical_care_reads_unanswered_share_and_median_reply():
    c = "complaint"
    log = _log(
        [
            *_post("a", 1, 0.0, True, delay=30.0, intent=c),
            *_post("b", 2, 0.0, True, delay=50.0, intent=c),
            *_post("d", 3, 0.0, False, intent=c),
            *_post("q", 4, 0.0, False),
        ]
    )
    assert studies.unanswered_complaints(log) == pytest.approx(1 / 3)
    assert studies.median_first_reply(log) == pytest.approx(40.0)


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
    options = ["--customers", "600", "--days", "90", "--replications", "2"]
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
    by_suite = {r.fact.id: r for r in run_facts((care, squeaky), customers=600, days=90, replications=2)}
    assert [u for u, _ in redone] == list(by_suite["typical-care"].measures[0].per_replication)
    assert [t for _, t in redone] == pytest.approx(
        list(by_suite["squeaky-wheel"].measures[1].per_replication), rel=1e-12
    )
