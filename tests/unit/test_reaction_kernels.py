"""The compiled thinning, reactions and unfollows (`simulator.kernels`) against the numpy
formulations they replaced, on a small world whose ticks repeat people (np.add.at's order, fancy
assignment's last write, np.unique's first response) and whose trust sits near its bounds (the
clip): every result must be equal bit for bit, since every figure of a run is read from them."""

from __future__ import annotations

import numpy as np

from simulator.audience import Audience
from simulator.customers import CUSTOMER, I_COMPLAINT, I_PRAISE, I_PURCHASE, I_QUESTION, Customers
from simulator.exogenous import Candidates
from simulator.network import build_network
from simulator.population import build_population
from tests.conftest import small

TICKS = 30


def _world(rng: np.random.Generator):
    world = small(customers=300).world
    pop = build_population(world, seed=3, replication=0)
    c = Customers(world, pop, build_network(world, pop, seed=3, replication=0))
    c.status[:] = rng.choice(np.array([0, 1, 2], dtype=np.int8), pop.size, p=[0.2, 0.7, 0.1])
    c.trust[:] = rng.choice([0.01, 0.5, 0.99], pop.size) + rng.normal(0, 0.02, pop.size)
    c.comeback[:] = 1.0 + rng.random(pop.size)
    c.fatigue[:] = rng.random(pop.size) * 3
    return world, pop, c


def _keeps_reference(c: Customers, node, intent, u):
    mult = np.ones(len(node))
    seeking = (intent == I_QUESTION) | (intent == I_COMPLAINT)
    mult[seeking] = c.comeback[node[seeking]]
    praise = intent == I_PRAISE
    ratio = c.trust[node[praise]] / np.maximum(c.baseline[node[praise]], 1e-9)
    mult[praise] = np.minimum(np.maximum(ratio, 0.0), c.max_mult)
    return np.flatnonzero((c.status[node] == CUSTOMER) & (u * c.max_mult < mult))


def test_compiled_thinning_equals_the_numpy_formulation():
    rng = np.random.default_rng(5)
    _, pop, c = _world(rng)
    n = 2000
    cand = Candidates(
        minute=np.arange(n, dtype=np.float64),
        node=rng.integers(0, pop.size, n).astype(np.int32),
        intent=rng.integers(0, 5, n).astype(np.int8),
        topic=np.zeros(n, dtype=np.int16),
        u=rng.random(n),
        u_outcome=rng.random(n),
        u_wom=rng.random(n),
    )
    kept = 0
    for first, stop in ((0, 0), (0, 700), (700, 2000)):
        expected = first + _keeps_reference(
            c, cand.node[first:stop], cand.intent[first:stop], cand.u[first:stop]
        )
        got = c.keeps(first, stop, cand)
        assert np.array_equal(got, expected) and got.dtype == np.int64
        kept += len(got)
    assert 0 < kept < n  # some thinned out, some kept


def _react_reference(c: Customers, node, intent, quality, delay, answered, pitched, tone, offer, u, discount):
    """`Customers.react` as numpy computed it (changes c's arrays in place)."""
    r = c.r
    u_outcome, u_wom, u_pitch = u
    seeking = (intent == I_QUESTION) | (intent == I_COMPLAINT) | (intent == I_PURCHASE)
    p_help = np.where(answered, quality * np.power(0.5, delay / r.help_half_life_minutes), 0.0)
    helped = seeking & (u_outcome < p_help)
    weight = np.where(intent == I_COMPLAINT, r.complaint_weight, 1.0) * c.service[node]
    delta = (
        np.where(
            helped, r.trust_gain_helped, np.where(answered, -r.trust_loss_unhelped, -r.trust_loss_ignored)
        )
        * weight
    )
    delta = np.where(seeking, delta, r.trust_gain_acknowledged * p_help * c.service[node])
    delta = np.where(delta > 0, delta * tone, delta)
    annoyed = pitched & (intent != I_PURCHASE)
    delta -= np.where(annoyed, r.pitch_annoyance, 0.0)
    np.add.at(c.trust, node, delta)
    c.trust[node] = np.minimum(np.maximum(c.trust[node], 0.0), 1.0)
    np.add.at(c.fatigue, node, annoyed.astype(float))
    comeback = helped & (intent != I_PURCHASE)
    c.comeback[node[comeback]] = np.minimum(
        r.comeback_cap, c.comeback[node[comeback]] * (1 + r.comeback_uplift)
    )
    p_buy = (
        r.purchase_conversion_unanswered
        + (r.purchase_conversion_helped - r.purchase_conversion_unanswered) * p_help
    )
    bought = (intent == I_PURCHASE) & (u_outcome < p_buy)
    pitch_buy = annoyed & (u_pitch < r.pitch_conversion * c.promotion[node])
    price = c.purchase_value[node] * np.where(offer, 1.0 - discount, 1.0)
    dollars = np.where(bought | pitch_buy, price, 0.0)
    advocate = helped & (u_wom < np.minimum(1.0, r.advocacy_after_help * c.service[node]))
    rant = (intent == I_COMPLAINT) & ~helped & (u_wom < r.rant_after_neglect)
    valence = np.where(advocate, 1, np.where(rant, -1, 0)).astype(np.int8)
    neglected = seeking & (intent != I_PURCHASE) & ~answered
    return helped, dollars, c.trust[node], valence, annoyed, neglected


def _unfollows_reference(aud: Audience, node, annoyed, neglected, fatigue, u):
    r = aud.r
    zero = np.zeros(len(node))
    promo = np.where(annoyed, r.unfollow_per_promotion * fatigue[node], 0.0)
    neglect = np.where(neglected & ~annoyed, r.unfollow_after_neglect, 0.0)
    first = np.unique(node, return_index=True)[1]
    return aud.unfollow(node[first], u[first], [promo[first], zero[first], zero[first], neglect[first]])


def test_compiled_reactions_and_unfollows_equal_the_numpy_formulation():
    rng = np.random.default_rng(7)
    world, pop, got = _world(rng)
    _, _, expected = _world(np.random.default_rng(7))
    held_out = np.zeros(pop.size, dtype=bool)
    aud_got, aud_expected = Audience(world, pop, held_out), Audience(world, pop, held_out)
    aud_got.follows[:] = aud_expected.follows[:] = rng.random(pop.size) < 0.8
    seen = {"clipped": 0, "bought": 0, "spoke": 0, "unfollowed": 0}
    for _ in range(TICKS):
        n = int(rng.integers(1, 60))
        node = rng.integers(0, 40, n)  # few people: many answered twice in a tick
        intent = rng.integers(0, 5, n).astype(np.int8)
        answered = rng.random(n) < 0.6
        args = (
            node,
            intent,
            rng.random(n),  # quality
            rng.random(n) * 600,  # delay [minutes]
            answered,
            rng.random(n) < 0.3,  # pitched
            rng.choice([0.8, 1.0, 1.3], n),  # tone
            rng.random(n) < 0.2,  # offer
        )
        u = (rng.random(n), rng.random(n), rng.random(n))
        want = _react_reference(expected, *args, u, 0.25)
        out = got.react(*args, *u, 0.25)
        have = (
            out.helped,
            out.purchase_dollars,
            out.trust_after,
            out.wom_valence,
            out.annoyed,
            out.neglected,
        )
        for a, b in zip(have, want, strict=True):
            assert np.array_equal(a, b) and a.dtype == b.dtype
        for name in ("trust", "fatigue", "comeback"):
            assert np.array_equal(getattr(got, name), getattr(expected, name)), name
        u_unfollow = rng.random(n) * 0.2
        gone = aud_got.after_responses(node, out.annoyed, out.neglected, got.fatigue, lambda v=u_unfollow: v)
        gone_expected = _unfollows_reference(
            aud_expected, node, want[4], want[5], expected.fatigue, u_unfollow
        )
        assert np.array_equal(gone[0], gone_expected[0]) and np.array_equal(gone[1], gone_expected[1])
        assert np.array_equal(aud_got.follows, aud_expected.follows)
        assert np.array_equal(aud_got.unfollowed, aud_expected.unfollowed)
        seen["clipped"] += int(np.isin(out.trust_after, (0.0, 1.0)).sum())
        seen["bought"] += int((out.purchase_dollars > 0).sum())
        seen["spoke"] += int((out.wom_valence != 0).sum())
        seen["unfollowed"] += len(gone[0])
    assert min(seen.values()) > 0, seen  # the test's worth: every branch was taken
