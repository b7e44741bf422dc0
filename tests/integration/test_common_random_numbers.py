"""All arms of a replication see the same people, network and exogenous draws (docs/architecture.md,
Invariants: Common random numbers)."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.model import draw_shared
from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from tests.conftest import small


def test_draws_repeat_within_a_replication_and_differ_between_replications():
    sc = small()
    a, b, other = draw_shared(sc, 0), draw_shared(sc, 0), draw_shared(sc, 1)
    for field in ("segment", "followers", "monthly_spend", "baseline_trust", "churn_threshold"):
        assert np.array_equal(getattr(a.population, field), getattr(b.population, field))
    assert np.array_equal(a.network.followers_of, b.network.followers_of)
    assert np.array_equal(a.candidates.minute, b.candidates.minute)
    assert not np.array_equal(a.candidates.minute, other.candidates.minute)
    assert not np.array_equal(a.population.followers, other.population.followers)


def test_an_arm_gets_the_same_numbers_whoever_it_runs_beside():
    """Marketing-led pitches and broadcasts, so its numbers use the shared draws most."""
    sc = small()
    all_four = run(sc, inprocess_transport(), baseline=no_social(), keep_events=False)
    only_two = sc.model_copy(
        update={"arms": {k: v for k, v in sc.arms.items() if k in ("support-led", "marketing-led")}}
    )
    two = run(only_two, inprocess_transport(), baseline=no_social(), keep_events=False)
    assert set(two.per_arm) == {"support-led", "marketing-led"}
    for arm in two.per_arm:
        assert two.per_arm[arm] == all_four.per_arm[arm], arm


def test_identical_strategies_under_two_names_give_identical_event_logs():
    sc = small()
    twin = sc.model_copy(update={"arms": {"one": sc.arms["comms-led"], "two": sc.arms["comms-led"]}})
    result = run(twin, inprocess_transport(), baseline=no_social())
    events = pa.concat_tables(result.events)
    one = events.filter(pc.equal(events["arm"], "one")).drop(["arm", "event_id"])
    two = events.filter(pc.equal(events["arm"], "two")).drop(["arm", "event_id"])
    assert one.num_rows > 100 and one.equals(two)
    assert result.per_arm["one"] == result.per_arm["two"]


def test_arms_share_the_first_ticks_conversations():
    """Before any response can change anyone, every arm sees exactly the same posts."""
    result = run(small(), inprocess_transport(), baseline=no_social())
    events = pa.concat_tables(result.events)
    first = events.filter(
        pc.and_(pc.equal(events["kind"], "conversation"), pc.less(events["minute"], 60.0 * 8))
    )
    by_arm = {}
    for arm, cid in zip(first["arm"].to_pylist(), first["conversation_id"].to_pylist(), strict=False):
        by_arm.setdefault(arm, []).append(cid)
    assert len(by_arm) == 4 and len({tuple(v) for v in by_arm.values()}) == 1 and by_arm["comms-led"]
