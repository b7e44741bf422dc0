"""The verdict names an owner only where the paired evidence separates the arms.

Summaries are built with the real `stats.summarise` from hand-made per-replication values, so
each case controls exactly how far apart, and how noisy, the arms are.
"""

import numpy as np
import pytest

from socialsim.outcomes import METRICS
from socialsim.stats import summarise
from socialsim.verdict import amount, credible_winner, decide, describe, difference

DIRECTIONS = {m: hi for m, (_, hi) in METRICS.items()}
REPS = 8


def summary(**roi_and_trust: tuple[list[float], list[float]]) -> dict:
    """Arms with the given per-replication ROI and trust; every other metric equal across arms."""
    per_arm = {}
    for arm, (roi, trust) in roi_and_trust.items():
        metrics = {m: [100.0 + r for r in range(REPS)] for m in METRICS}
        metrics["roi"], metrics["trust"] = roi, trust
        per_arm[arm] = metrics
    arms, paired = summarise(per_arm, DIRECTIONS)
    return {"arms": arms, "paired": paired}


def noisy(mean: float, sd: float, seed: int) -> list[float]:
    return list(mean + sd * np.random.default_rng(seed).standard_normal(REPS))


SAME_TRUST = [0.7 + 0.001 * r for r in range(REPS)]


def test_a_clear_lead_names_the_owner_with_its_lift_over_the_runner_up():
    s = summary(
        a=(noisy(30, 1, 1), SAME_TRUST),
        b=(noisy(20, 1, 2), SAME_TRUST),
        c=(noisy(10, 1, 3), SAME_TRUST),
    )
    v = decide(s, "roi")
    assert v.owner == "a" and v.decided_by == "roi"
    assert v.lift is not None and v.lift.b == "b" and v.lift.credible and v.lift.mean > 0
    assert describe(v, s, "EUR").startswith("Verdict: a should own social media.")


def test_overlapping_arms_are_inconclusive_and_no_winner_is_credible():
    shared = noisy(20, 3, 7)
    s = summary(
        a=([x + 0.1 for x in shared[:4]] + [x - 0.1 for x in shared[4:]], SAME_TRUST),
        b=(shared, SAME_TRUST),
    )
    v = decide(s, "roi")
    assert v.owner is None and set(v.contenders) == {"a", "b"}
    assert credible_winner(s, "roi") is None
    assert describe(v, s, "USD").startswith("Verdict: inconclusive.")


def test_trust_breaks_a_tie_the_objective_cannot_separate():
    shared = noisy(20, 3, 7)
    s = summary(
        a=(shared, [t + 0.05 for t in SAME_TRUST]),
        b=([x + 0.01 * (-1) ** i for i, x in enumerate(shared)], SAME_TRUST),
    )
    v = decide(s, "roi")
    assert v.owner == "a" and v.decided_by == "trust"
    assert "trust does" in describe(v, s, "USD")


def test_a_credible_winner_must_beat_every_other_arm():
    s = summary(
        a=(noisy(30, 1, 1), SAME_TRUST),
        b=(noisy(29.9, 1, 1), SAME_TRUST),  # the same noise: a paired gap of 0.1 in every replication
        c=(noisy(10, 1, 3), SAME_TRUST),
    )
    assert credible_winner(s, "roi") == "a"
    s["paired"] = [p for p in s["paired"] if not (p["metric"] == "roi" and {p["a"], p["b"]} == {"a", "b"})]
    with pytest.raises(KeyError):
        credible_winner(s, "roi")


def test_difference_reads_a_pair_stored_in_either_order():
    s = summary(a=(noisy(30, 1, 1), SAME_TRUST), b=(noisy(20, 1, 2), SAME_TRUST))
    ab, ba = difference(s, "roi", "a", "b"), difference(s, "roi", "b", "a")
    assert ab.mean == pytest.approx(-ba.mean)
    assert ab.ci95 == pytest.approx((-ba.ci95[1], -ba.ci95[0]))
    assert ab.p_a_better == pytest.approx(1 - ba.p_a_better)


def test_trade_offs_name_where_the_owner_is_credibly_worse():
    s = summary(a=(noisy(30, 1, 1), SAME_TRUST), b=(noisy(20, 1, 2), [t + 0.05 for t in SAME_TRUST]))
    v = decide(s, "roi")
    assert v.owner == "a" and [d.metric for d in v.trade_offs] == ["trust"]
    assert "Trade-offs" in describe(v, s, "USD")


def test_money_carries_the_scenario_currency_and_fractions_are_percentages():
    assert amount("revenue", 1234.4, "EUR") == "1,234 EUR"
    assert amount("helped_rate", 0.25, "EUR") == "25.0%"
