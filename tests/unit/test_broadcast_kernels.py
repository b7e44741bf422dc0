"""A broadcast's compiled passes (`campaigns._organic`, `_prospects_reached`) against the numpy
formulation they replaced: the whole broadcast, run on two copies of one small world, must leave
every array and every outcome equal bit for bit (the figures of a run are read from them)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from simulator.audience import Audience
from simulator.campaigns import _organic, broadcast
from simulator.customers import CUSTOMER, Customers
from simulator.network import build_network
from simulator.population import build_population
from simulator.rng import Counter, uniforms
from tests.conftest import small


def _reference(c: Customers, aud: Audience, weight_by_segment, offer, counter, index, discount):
    """The numpy formulation: every person's mask, then uniforms for those who could be reached."""
    r = c.r
    u_reach = lambda ids: counter.uniform("broadcast", index, ids)  # noqa: E731
    u_buy = lambda ids: counter.uniform("broadcast", index + 1, ids)  # noqa: E731
    w = weight_by_segment[c.pop.segment]
    uplift = r.offer_uplift if offer else 1.0
    price = 1.0 - discount if offer else 1.0
    followers = np.flatnonzero(
        (c.status == CUSTOMER) & aud.follows & ~aud.held_out & (c.fatigue < r.tune_out_fatigue)
    )
    p_reach = np.full(len(followers), aud.organic_share())
    u = u_reach(followers)
    hit = u < p_reach
    reached = followers[hit]
    u_after = u[hit] / p_reach[hit]
    p_buy = (
        r.broadcast_conversion
        * w[reached]
        * c.promotion[reached]
        * uplift
        * np.exp(-c.fatigue[reached] / r.tune_out_fatigue)
    )
    buyers = reached[u_buy(reached) < p_buy]
    c.fatigue[reached] += 1.0
    aud.seen[reached] += 1.0
    promo = r.unfollow_per_promotion * c.fatigue[reached] if offer else np.zeros(len(reached))
    unfollowers, reasons = aud.unfollow(
        reached,
        u_after,
        [
            promo,
            r.unfollow_per_post * aud.seen[reached],
            r.unfollow_irrelevance * np.maximum(0.0, 1.0 - c.promotion[reached] * w[reached]),
            np.zeros(len(reached)),
        ],
    )
    prospects = c.prospects()
    prospects = prospects[~aud.held_out[prospects]]
    paid = prospects[u_reach(prospects) < r.campaign_prospect_reach * w[prospects]]
    p_buy = r.broadcast_conversion * c.promotion[paid] * uplift
    u = u_buy(paid)
    bought = u < p_buy
    c.acq_cum[paid[~bought]] += r.campaign_acquisition_hazard * c.promotion[paid[~bought]]
    newcomers = paid[bought].astype(np.int64)
    stays = u[bought] / p_buy[bought] < r.deal_newcomer_return if offer else np.ones(len(newcomers), bool)
    c.welcome(newcomers)
    c.lapse_tonight(newcomers[~stays])
    return buyers, c.purchase_value[buyers] * price, len(reached), len(paid), newcomers, unfollowers, reasons


@pytest.mark.parametrize("offer", [False, True])
def test_a_compiled_broadcast_equals_the_numpy_formulation(offer: bool) -> None:
    world = small(customers=600).world
    pop = build_population(world, seed=3, replication=0)
    rng = np.random.default_rng(11)
    c = Customers(world, pop, build_network(world, pop, seed=3, replication=0))
    c.status[:] = rng.choice(np.array([0, 1, 2], dtype=np.int8), pop.size, p=[0.4, 0.5, 0.1])
    c.fatigue[:] = rng.random(pop.size) * 2 * world.reactions.tune_out_fatigue
    aud = Audience(world, pop, rng.random(pop.size) < 0.2)
    aud.follows[:] = rng.random(pop.size) < 0.7
    theirs_c, theirs_aud = copy.deepcopy(c), copy.deepcopy(aud)
    counter = Counter(seed=3, replication=0)
    weights = rng.random(len(pop.segment_names))
    reached = 0
    for index in range(0, 40, 2):  # a broadcast's two draws are at index and index + 1
        keys = (counter.salted_key("broadcast", index), counter.salted_key("broadcast", index + 1))
        out = broadcast(c, aud, weights, offer, keys, 0.2)
        buyers, dollars, organic, paid, newcomers, unfollowers, reasons = _reference(
            theirs_c, theirs_aud, weights, offer, counter, index, 0.2
        )
        assert np.array_equal(out.buyers, buyers) and np.array_equal(out.dollars, dollars)
        assert (out.reached, out.paid_reached) == (organic, paid)
        assert np.array_equal(out.newcomers, newcomers) and np.array_equal(out.unfollowers, unfollowers)
        assert np.array_equal(out.reasons, reasons)
        reached += out.reached + out.paid_reached
    for mine, theirs in ((c, theirs_c), (aud, theirs_aud)):
        for name, value in vars(mine).items():
            if isinstance(value, np.ndarray):
                assert np.array_equal(value, getattr(theirs, name)), name
    assert np.array_equal(np.concatenate(c._lapsing), np.concatenate(theirs_c._lapsing))
    assert reached > 100  # the broadcasts reached people: the comparison compared something


def test_the_organic_pass_gives_each_reached_follower_the_numpy_fresh_uniform() -> None:
    """What decides a reached follower's unfollowing, compared before any rule reads it."""
    rng = np.random.default_rng(2)
    n, share, tune_out = 5000, 0.3, 2.0
    status = rng.choice(np.array([0, 1, 2], dtype=np.int8), n)
    follows, held_out, fatigue = rng.random(n) < 0.7, rng.random(n) < 0.2, rng.random(n) * 4
    key = Counter(seed=1, replication=0).salted_key("broadcast", 0)
    reached, u_after = _organic((status, follows, held_out, fatigue), tune_out, share, key)
    could = np.flatnonzero((status == CUSTOMER) & follows & ~held_out & (fatigue < tune_out))
    u = uniforms(key, could)
    assert len(reached) > 100 and np.array_equal(reached, could[u < share])
    assert np.array_equal(u_after, u[u < share] / share)
