"""`ValueTiers`: the cut of the top tier is the value ranked floor((1 - top_fraction) * n), from
the lowest, of the n customers seen so far (the last one when that is past the end), whatever
order customers come in and however they are split into ticks, and a tier put back from what a
snapshot writes goes on exactly as the one that never stopped."""

from __future__ import annotations

import math
import random

import pytest

from services.signals import ValueTiers
from socialsim.contracts.strategy import Tiering
from tests.events import conv

TICKS = 60  # ticks of new and returning customers per case
PER_TICK = 12  # conversations a tick, at most


def by_definition(values: list[float], top_fraction: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, math.floor((1 - top_fraction) * len(ranked)))]


@pytest.mark.parametrize("top_fraction", [0.01, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("by", ["value", "followers"])
def test_the_cut_is_the_ranked_value_of_every_customer_seen_so_far(top_fraction, by):
    rng = random.Random(f"{top_fraction}{by}")
    tiers = ValueTiers(Tiering(enabled=True, by=by, top_fraction=top_fraction))
    seen: dict[int, float] = {}
    for t in range(TICKS):
        batch = []
        for k in range(rng.randrange(PER_TICK)):
            customer = rng.randrange(400)  # some come back: only their first value counts
            value, followers = float(rng.choice([0, 5, 5, 7.5, rng.uniform(0, 100)])), rng.randrange(50)
            batch.append(conv(customer, t * 60.0 + k, value=value, followers=followers))
            seen.setdefault(customer, value if by == "value" else float(followers))
        tiers.observe(batch)
        if seen:
            assert tiers._cut == by_definition(list(seen.values()), top_fraction)
            assert tiers.ranked() == sorted(seen.values())


def test_a_tier_put_back_from_its_snapshot_goes_on_as_the_one_that_never_stopped():
    rng = random.Random(7)
    cfg = Tiering(enabled=True, top_fraction=0.3)
    batches = [
        [conv(rng.randrange(10**6), t * 60.0, value=rng.uniform(0, 50)) for _ in range(9)] for t in range(40)
    ]
    whole, first = ValueTiers(cfg), ValueTiers(cfg)
    for b in batches:
        whole.observe(b)
    for b in batches[:17]:
        first.observe(b)
    restored = ValueTiers(cfg)
    restored.put_back(dict(first._seen), first.ranked(), first._cut)
    for b in batches[17:]:
        restored.observe(b)
    assert (restored._cut, restored.ranked()) == (whole._cut, whole.ranked())
