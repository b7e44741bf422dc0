"""The marketing and network mechanisms against their documented rules: organic reach by account
size, unfollowing with a reason, churn contagion through close ties, and retelling."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.audience import NEGLECT, PROMOTION, Audience
from simulator.customers import Customers
from simulator.network import build_network
from simulator.population import build_population
from simulator.rng import Counter
from tests.conftest import small


def _world(*sets: str):
    return small(sets=list(sets), customers=300).world


def _people(world) -> tuple[Customers, Audience]:
    pop = build_population(world, seed=1, replication=0)
    customers = Customers(world, pop, build_network(world, pop, seed=1, replication=0))
    return customers, Audience(world, pop, np.zeros(pop.size, dtype=bool))


@pytest.mark.parametrize(
    "fans,share", [(100_000, 0.06), (1_000_000, 0.06 * 10**-0.35), (1_000, 0.06 * 100**0.35)]
)
def test_organic_share_falls_with_the_size_of_the_account(fans, share):
    world = _world(f"world.population.brand_account_followers={fans}")
    _, audience = _people(world)
    assert audience.organic_share() == pytest.approx(min(1.0, share))


def test_unfollowing_takes_the_reason_whose_slice_the_uniform_falls_in():
    _, audience = _people(_world())
    followers = np.flatnonzero(audience.follows)[:3]
    p = [np.full(3, 0.1), np.full(3, 0.2), np.zeros(3), np.full(3, 0.1)]
    gone, reasons = audience.unfollow(followers, np.array([0.05, 0.35, 0.9]), p)
    assert gone.tolist() == followers[:2].tolist()
    assert reasons.tolist() == [PROMOTION, NEGLECT]
    assert not audience.follows[followers[:2]].any() and audience.follows[followers[2]]
    assert len(audience.join(followers[:2])) == 0  # an unfollower does not follow again


def test_a_churned_close_tie_multiplies_the_hazard_by_one_plus_contagion():
    customers, _ = _people(_world("world.reactions.churn_contagion=0.8", "world.reactions.close_ties=1e6"))
    node = np.array([int(np.flatnonzero(customers.status == 1)[0])])
    before = customers.churn_hazard_per_day(node)[0]
    customers.churned_followees[node] = 2
    assert customers.churn_hazard_per_day(node)[0] == pytest.approx(before * 1.8**2)


def test_retelling_multiplies_the_reach_of_negative_word_of_mouth_only():
    world = _world("world.reactions.retelling_negative=1.5", "world.reactions.retelling_positive=1.0")
    customers, _ = _people(world)
    authors = np.arange(300)
    salted, post_ids = Counter(seed=0, replication=0).salted_key("audience", 0), authors * 300
    direct = np.diff(customers.net.start)[authors]
    positive = customers.hear(authors, np.ones(300, dtype=np.int8), salted, post_ids)
    negative = customers.hear(authors, -np.ones(300, dtype=np.int8), salted, post_ids)
    assert positive.tolist() == direct.tolist()
    assert negative.sum() / direct.sum() == pytest.approx(1.5, abs=0.1)
