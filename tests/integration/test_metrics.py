"""The metrics tell the same story as the run's outputs, on an injected registry, changing nothing
(docs/architecture.md, Invariants: Measurement never changes behaviour)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from socialsim.bootstrap import inprocess_transport, no_social, run_telemetry
from socialsim.comparison import run
from socialsim.telemetry import names as n
from tests.conftest import small


@pytest.fixture(scope="module")
def metered():
    sc = small(customers=250, days=10)
    telemetry = run_telemetry(sc, policies_here=True)
    result = run(
        sc,
        inprocess_transport(telemetry.meter),
        baseline=no_social(),
        keep_events=False,
        watch=telemetry.readings,
    )
    return sc, telemetry.registry, result


def _value(registry, name: str, **labels) -> float:
    value = registry.get_sample_value(name, labels)
    assert value is not None, (name, labels)
    return value


def test_measuring_changes_no_number(metered):
    sc, _, result = metered
    assert run(sc, inprocess_transport(), baseline=no_social(), keep_events=False).per_arm == result.per_arm


def test_final_readings_equal_the_summary_means(metered):
    sc, registry, result = metered
    for arm in sc.arms:
        mean = {m: sum(v) / len(v) for m, v in result.per_arm[arm].items()}
        assert _value(registry, n.REVENUE, arm=arm) == pytest.approx(mean["revenue"])
        assert _value(registry, n.CLV, arm=arm) == pytest.approx(mean["clv"])
        assert _value(registry, n.COST, arm=arm) == pytest.approx(mean["cost"])
        assert _value(registry, n.ROI, arm=arm) == pytest.approx(mean["roi"])
        profit = _value(registry, n.INCREMENTAL_PROFIT, arm=arm)  # live, against the in-process baseline
        assert profit == pytest.approx(mean["incremental_profit"])
        assert _value(registry, n.TRUST, arm=arm) == pytest.approx(mean["trust"])
        assert _value(registry, n.NPS, arm=arm) == pytest.approx(mean["nps"])
        reach = _value(registry, n.WOM_REACH, arm=arm, valence="negative")
        assert reach == pytest.approx(mean["negative_wom_reach"])
        assert _value(registry, n.SIM_TIME, arm=arm) == sc.world.horizon.days * 86400.0


def _total(registry, name: str, arm: str) -> float:
    """A counter summed over every label but the arm."""
    return sum(
        s.value
        for m in registry.collect()
        if m.name == name.removesuffix("_total")
        for s in m.samples
        if s.labels.get("arm") == arm and s.name == name
    )


def test_every_conversation_is_one_decision(metered):
    sc, registry, _ = metered
    for arm in sc.arms:
        decisions = _total(registry, n.DECISIONS, arm)  # summed over replications
        assert decisions > 0
        assert decisions == pytest.approx(
            _total(registry, n.CONVERSATIONS, arm) * sc.replications
        )  # mean per replication
        assert 0 < _total(registry, n.STAFF_BUSY, arm) <= _total(registry, n.STAFF_ON_SHIFT, arm)


def test_the_global_registry_is_never_used(metered):
    assert not [m.name for m in REGISTRY.collect() if m.name.startswith("socialsim")]
