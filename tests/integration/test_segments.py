"""Outcomes by segment come from each arm's end state (`ArmState.segments`), so `--no-events` runs
have them, and they add up to the arm: counts sum to the arm's counts, and trust and NPS weighted
by each segment's remaining customers give the arm's."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from simulator.model import Replications
from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from socialsim.segments import SEGMENT_METRICS
from tests.conftest import small


@pytest.fixture(scope="module")
def worlds():
    sc = small(customers=300, days=10)
    return sc, Replications(sc, [0, 1], inprocess_transport(), keep_events=False, baseline=no_social()).run()


def test_every_arm_and_the_baseline_has_every_segment(worlds):
    sc, ws = worlds
    assert {arm for _, arm in ws} == {*sc.arms, "no-social"}
    for w in ws.values():
        assert [s.name for s in w.state().segments] == list(sc.world.segments)


def test_segment_counts_add_up_to_the_arm(worlds):
    _, ws = worlds
    for key, w in ws.items():
        st, segs = w.state(), w.state().segments
        assert sum(s.churned for s in segs) == st.record.churned > 0, key
        assert sum(s.acquisitions for s in segs) == st.record.acquisitions, key
        assert sum(s.initial_customers for s in segs) == st.initial_customers, key
        assert sum(s.active_customers for s in segs) == st.active_customers, key


def test_segment_trust_nps_and_revenue_add_up_to_the_arm(worlds):
    _, ws = worlds
    for key, w in ws.items():
        st = w.state()
        weights = np.array([s.active_customers for s in st.segments]) / st.active_customers
        assert np.dot(weights, [s.trust for s in st.segments]) == pytest.approx(st.trust), key
        assert np.dot(weights, [s.nps for s in st.segments]) == pytest.approx(st.nps), key
        active = w.customers.active()
        monthly = w.shared.population.monthly_spend[active] * w.customers.spend_multiplier(active)
        assert sum(s.monthly_revenue_dollars for s in st.segments) == pytest.approx(monthly.sum()), key
        assert sum(s.revenue_dollars for s in st.segments) == pytest.approx(st.record.revenue_dollars), key
        assert all(s.revenue_dollars > 0 for s in st.segments if s.initial_customers), key


def test_a_segment_reads_only_its_own_customers(worlds):
    _, ws = worlds
    w = ws[(0, "support-led")]
    pop, active = w.shared.population, w.customers.active()
    names = np.array(pop.segment_names)[pop.segment[active]]
    for s in w.state().segments:
        assert s.active_customers == int((names == s.name).sum())
        assert s.trust == pytest.approx(w.customers.trust[active[names == s.name]].mean())


def test_summary_carries_segments_for_every_arm_then_the_baseline():
    sc = small(customers=300, days=10)
    result = run(sc, inprocess_transport(), baseline=no_social(), keep_events=False)
    seg = result.summary("sha")["segments"]
    assert seg["segments"] == list(sc.world.segments)
    assert list(seg["by_arm"]) == [*sc.arms, "no-social"]
    for who, by_segment in seg["by_arm"].items():
        for name in sc.world.segments:
            values = result.per_segment[who][name]
            for metric in SEGMENT_METRICS:
                assert len(values[metric]) == sc.replications
                stats = by_segment[name][metric]
                assert stats["mean"] == pytest.approx(np.mean(values[metric]))
                assert stats["ci95"][0] <= stats["mean"] <= stats["ci95"][1]
    pairs = {(d["a"], d["segment"], d["metric"]): d for d in seg["against_baseline"]}
    assert len(pairs) == len(sc.arms) * len(sc.world.segments) * len(SEGMENT_METRICS)
    for (arm, name, metric), d in pairs.items():
        assert d["b"] == "no-social"
        mine, base = result.per_segment[arm][name][metric], result.per_segment["no-social"][name][metric]
        per_rep = np.subtract(mine, base)
        assert d["mean_diff"] == pytest.approx(per_rep.mean())
        assert d["ci95"][0] <= d["mean_diff"] <= d["ci95"][1]


def test_segment_figures_are_what_each_segment_s_own_events_say():
    """Read against events.parquet, a record apart from the recorder's tallies: each arm's revenue
    and churn per segment and replication are the sums of that segment's own purchase and churn
    events (a figure credited to the wrong segment, replication or arm fails)."""
    sc = small(customers=300, days=10)
    result = run(sc, inprocess_transport(), baseline=no_social())
    events = pa.concat_tables(result.events).to_pandas()
    paid = events[events.kind == "purchase"].groupby(["arm", "replication", "segment"]).amount_dollars.sum()
    counted = events.groupby(["arm", "replication", "segment", "kind"]).size()
    for arm in sc.arms:
        for name in sc.world.segments:
            figures = result.per_segment[arm][name]
            for rep in range(sc.replications):
                assert figures["revenue"][rep] == pytest.approx(paid.get((arm, rep, name), 0.0)), (arm, name)
                assert figures["churned"][rep] == counted.get((arm, rep, name, "churn"), 0), (arm, name)
    assert paid.groupby("segment").sum().gt(0).sum() >= 2  # revenue is spread over segments
    assert (events.kind == "churn").sum() > 0  # churn is exercised
