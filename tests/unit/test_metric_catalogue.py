"""The metric catalogue is the one declaration: readings, collectors and the series row follow it.

Real parts throughout: real recorders fed through their hooks, real strategy policies handling
real tick batches, a real `CollectorRegistry`. Only the world is replaced, by a `state()` source
over a hand-fed recorder, so each figure is known without running a simulation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.samples import Sample

from services.policy import Policy
from simulator.measures import ArmState
from simulator.recorder import Recorder
from socialsim.contracts.events import Conversation, Kpis, TickBatch, TickClosed
from socialsim.contracts.scenario import Scenario
from socialsim.telemetry import catalogue as c
from socialsim.telemetry.collectors import OutcomeCollector, PolicyCollector
from socialsim.telemetry.meter import PolicyMeter
from socialsim.telemetry.metric import Metric
from socialsim.telemetry.readings import Readings
from tests.conftest import small

OPEN_HOUR = 9  # [h of day 0]
BASELINE = "no-social"  # the reference world's name in these readings
BASE_UNITS = ("seconds", "dollars", "ratio")  # Prometheus base units: the name must say them


def test_every_entry_follows_the_naming_rules() -> None:
    entries: list[Metric[Any]] = [*c.OUTCOMES, *c.OPERATIONS]
    names = [m.name for m in entries]
    assert len(names) == len(set(names))
    for m in entries:
        assert m.name.startswith("socialsim_"), m.name
        assert m.name.endswith("_total") == (m.kind == "counter"), m.name
        if m.unit in BASE_UNITS:
            assert m.name.removesuffix("_total").endswith(f"_{m.unit}"), m.name
        assert (m.kind == "histogram") == bool(m.buckets), m.name
        assert list(m.buckets) == sorted(set(m.buckets)), m.name
        assert m.help and m.unit


class World:
    """Stands in for an arm's world: the state telemetry reads, over a recorder fed by its hooks."""

    def __init__(self, rep: int, arm: str, revenue: float, trust: float, delays_min: list[float]):
        self.rec = Recorder(arm, rep, keep_events=False)
        self.rec.purchase("p", 10.0, 0, 1, "students", revenue, "conversation")
        self.rec.first_response_minutes.extend(delays_min)
        self.trust = trust

    def state(self) -> ArmState:
        return ArmState(
            initial_customers=10,
            active_customers=10,
            trust=self.trust,
            nps=0.0,
            clv_dollars=0.0,
            record=self.rec,
        )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def scenario() -> Scenario:
    sc: Scenario = small(replications=2)
    return sc


def _samples(registry: CollectorRegistry) -> dict[str, list[Sample]]:
    return {m.name: m.samples for m in registry.collect()}


def test_outcomes_are_means_over_replications_read_at_most_once_per_interval(scenario: Scenario) -> None:
    arm = next(iter(scenario.arms))
    worlds = {
        (0, arm): World(0, arm, revenue=100.0, trust=0.2, delays_min=[10.0, 20.0]),
        (1, arm): World(1, arm, revenue=300.0, trust=0.6, delays_min=[]),
        (0, BASELINE): World(0, BASELINE, revenue=40.0, trust=0.1, delays_min=[]),
        (1, BASELINE): World(1, BASELINE, revenue=260.0, trust=0.1, delays_min=[]),
    }
    clock = Clock()
    readings = Readings(scenario, BASELINE, interval_s=1.0, clock=clock)
    registry = CollectorRegistry()
    registry.register(OutcomeCollector(readings))
    assert _samples(registry) == {}  # nothing before the first reading

    readings(0, 60.0, worlds)
    value = registry.get_sample_value
    assert value(c.REVENUE.name, {"arm": arm}) == pytest.approx(200.0)
    assert value(c.TRUST.name, {"arm": arm}) == pytest.approx(0.4)
    # against the baseline of the same replication: (100 - 40 + 300 - 260) / 2
    assert value(c.INCREMENTAL_REVENUE.name, {"arm": arm}) == pytest.approx(50.0)
    assert value(c.REVENUE.name, {"arm": BASELINE}) is None  # the baseline is no arm of its own
    assert value(c.SIM_TIME.name, {"arm": arm}) == 3600.0  # shared by replications, not averaged
    hist = c.FIRST_RESPONSE.name
    assert value(f"{hist}_count", {"arm": arm}) == pytest.approx(1.0)  # 2 responses in 2 replications
    assert value(f"{hist}_sum", {"arm": arm}) == pytest.approx(900.0)  # (600 + 1200) s / 2
    assert value(f"{hist}_bucket", {"arm": arm, "le": "300.0"}) == 0.0
    assert value(f"{hist}_bucket", {"arm": arm, "le": "900.0"}) == pytest.approx(0.5)

    worlds[(1, arm)].rec.first_response_minutes.append(2000.0)  # 33 h: only the 2-day bucket
    clock.now = 0.5
    readings(1, 120.0, worlds)  # within the interval: the reading stays
    assert value(c.SIM_TIME.name, {"arm": arm}) == 3600.0
    readings(2, 180.0, worlds, final=True)  # the end is always read
    assert value(c.SIM_TIME.name, {"arm": arm}) == 10800.0
    assert value(f"{hist}_count", {"arm": arm}) == pytest.approx(1.5)
    assert value(f"{hist}_bucket", {"arm": arm, "le": "86400.0"}) == pytest.approx(1.0)
    assert value(f"{hist}_bucket", {"arm": arm, "le": "172800.0"}) == pytest.approx(1.5)


def test_collectors_expose_exactly_the_catalogue(scenario: Scenario) -> None:
    arm = next(iter(scenario.arms))
    readings = Readings(scenario, BASELINE)
    readings(
        0, 60.0, {(0, arm): World(0, arm, 50.0, 0.5, [5.0]), (0, BASELINE): World(0, BASELINE, 5.0, 0.5, [])}
    )
    meter = PolicyMeter(list(scenario.arms))
    registry = CollectorRegistry()
    registry.register(OutcomeCollector(readings))
    registry.register(PolicyCollector(meter))
    exposed = {m.name: m for m in registry.collect()}
    entries: list[Metric[Any]] = [*c.OUTCOMES, *c.OPERATIONS]
    for entry in entries:
        family = exposed.pop(entry.name.removesuffix("_total"))
        assert family.type == entry.kind and family.documentation == entry.help
        for sample in family.samples:
            assert set(sample.labels) - {"le"} == {"arm", *entry.labels}, sample
    assert exposed == {}


def _batch(tick: int, n: int) -> TickBatch:
    conversations = [
        Conversation(
            id=f"{tick}-{k}",
            tick=tick,
            minute=tick * 60.0 + k,
            customer=k,
            segment="students",
            topic="credit_limit",
            topic_kind="account",
            intent="complaint",
            followers=10,
            monthly_value_dollars=20.0,
        )
        for k in range(n)
    ]
    closed = TickClosed(
        tick=tick,
        start_minute=tick * 60.0,
        end_minute=(tick + 1) * 60.0,
        count=n,
        kpis=Kpis(day=0, last_day_revenue_dollars=0.0),
    )
    return TickBatch(conversations=conversations, closed=closed)


def test_operations_sum_over_replications_and_take_the_furthest_clock(scenario: Scenario) -> None:
    arm = next(iter(scenario.arms))
    meter = PolicyMeter([arm], interval_s=0.0)
    decisions: Counter[tuple[str, str]] = Counter()
    policies = []
    for rep, (ticks, size) in enumerate([(3, 6), (5, 4)]):
        policy = Policy(scenario.arms[arm], arm)
        for tick in range(OPEN_HOUR, OPEN_HOUR + ticks):  # hourly ticks from 9:00, when staff are on shift
            batch = _batch(tick, size)
            reply = policy.handle(batch)
            meter.observe(arm, rep, policy, batch.closed, reply)
            decisions.update((r.department or "none", r.action) for r in reply.responses)
        policies.append(policy)
    meter.dead_letter(arm, 2)
    registry = CollectorRegistry()
    registry.register(PolicyCollector(meter))

    def value(name: str, labels: dict[str, str]) -> float:
        found = registry.get_sample_value(name, labels)
        assert found is not None, (name, labels)
        return found

    assert sum(decisions.values()) > 0
    assert value(c.BACKLOG.name, {"arm": arm, "department": "support"}) > 0
    for (dept, action), count in decisions.items():
        assert value(c.DECISIONS.name, {"arm": arm, "department": dept, "action": action}) == count
    for dept in policies[0].load():
        labels = {"arm": arm, "department": dept}
        loads = [p.load()[dept] for p in policies]
        assert value(c.BACKLOG.name, labels) == sum(x.backlog for x in loads)
        on_shift = value(c.STAFF_ON_SHIFT.name, labels)
        assert on_shift > 0 and on_shift == pytest.approx(60 * sum(x.staffed_minutes for x in loads))
        assert value(c.STAFF_BUSY.name, labels) == pytest.approx(60 * sum(x.worked_minutes for x in loads))
    assert value(c.POLICY_TIME.name, {"arm": arm}) == (OPEN_HOUR + 5) * 3600.0  # the furthest replication
    assert value(c.DEAD_LETTERS.name, {"arm": arm}) == 2


def test_the_series_row_is_the_recorders_column_fields() -> None:
    rec = Recorder("marketing-led", 0, keep_events=False)
    names = ("students",)
    rec.lifecycle("churn", 1440.0, 23, np.array([4, 5]), np.array([0, 0]), names)
    one = np.array([1])
    rec.word_of_mouth_posts(
        one, np.array([3.0]), 0, np.array([4]), np.array([0]), names, one, np.array([12]), "voice"
    )
    row = rec.snapshot(23, 1440.0, active_customers=8, mean_trust=0.5, nps=-10.0)
    columns = [f.name for f in fields(rec) if f.metadata]
    assert list(row) == ["tick", "minute", *columns]
    assert row["churned"] == 2 and row["positive_wom_reach"] == 12 and row["mean_trust"] == 0.5
    # the columns series.parquet has always had, in its order
    assert columns == [
        "revenue_dollars",
        "active_customers",
        "mean_trust",
        "nps",
        "conversations",
        "help_seeking",
        "helped",
        "answered",
        "churned",
        "acquisitions",
        "positive_wom_reach",
        "negative_wom_reach",
    ]
