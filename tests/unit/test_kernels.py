"""The compiled word of mouth (`simulator.kernels`) against the numpy formulation it replaced, on a
small network whose posts share authors and whose audiences overlap: reach, trust and prospects'
pull must be equal bit for bit, since every result of a run is read from them."""

from __future__ import annotations

import numpy as np
import pytest

import simulator.network as network_module
from simulator import kernels
from simulator.customers import CUSTOMER, PROSPECT, Customers
from simulator.network import Network, build_network
from simulator.population import build_population
from simulator.rng import Counter
from tests.conftest import small

# positive, negative: times over; large, so many followers retell (1: praise is never retold)
RETELLINGS = [(1.3, 2.7), (1.0, 2.7)]
EFFECT = (0.03, 0.002, 0.004)  # trust per post heard, a prospect's pull by praise, by criticism


def _reference_hear(
    net: Network, people: tuple, retelling, authors, valence, counter: Counter, index, post_ids
):
    """`Customers.hear` as numpy computed it, on copies of (status, trust, acq_cum)."""
    status, trust, acq_cum = (a.copy() for a in people)
    seen, reach = net.followers_of_each(authors)
    post = np.arange(len(authors), dtype=np.int64).repeat(reach)
    more_times = np.where(valence > 0, retelling[0], retelling[1]) - 1.0
    chance = more_times[post] / np.maximum(np.diff(net.start)[seen], 1)
    tells = (counter.uniform("audience", index, post_ids[post] + seen) < chance).nonzero()[0]
    retold, more = net.followers_of_each(seen[tells])
    audience = np.concatenate([seen, retold])
    sign = np.concatenate([valence.repeat(reach), valence[post[tells]].repeat(more)])
    reach = reach + np.bincount(post[tells], weights=more, minlength=len(authors)).astype(np.int64)
    customer = status[audience] == CUSTOMER
    heard = audience[customer]
    np.add.at(trust, heard, sign[customer] * EFFECT[0])
    trust[heard] = np.minimum(np.maximum(trust[heard], 0.0), 1.0)
    prospect = status[audience] == PROSPECT
    np.add.at(acq_cum, audience[prospect], np.where(sign[prospect] > 0, EFFECT[1], -EFFECT[2]))
    return reach, trust, acq_cum


def _people(n: int, rng: np.random.Generator) -> tuple:
    """Customers, prospects and churned people; trust near both bounds, so clipping matters."""
    status = rng.choice(np.array([0, 1, 2], dtype=np.int8), n, p=[0.3, 0.6, 0.1])
    trust = rng.choice([0.01, 0.5, 0.99], n) + rng.normal(0, 0.01, n)
    return status, trust, rng.random(n)


@pytest.mark.parametrize("retelling", RETELLINGS)
@pytest.mark.parametrize("escape", [network_module.ESCAPE, 7])  # 7: most gaps are kept aside
def test_compiled_word_of_mouth_equals_the_numpy_formulation(
    monkeypatch: pytest.MonkeyPatch, escape: int, retelling: tuple[float, float]
):
    world = small(customers=300).world
    pop = build_population(world, seed=3, replication=0)
    monkeypatch.setattr(network_module, "ESCAPE", escape)
    net = build_network(world, pop, seed=3, replication=0)
    rng, counter = np.random.default_rng(11), Counter(seed=3, replication=0)
    retold = clipped = 0  # the test's worth: retellings happened, and trust was clipped
    for tick in range(20):
        n_posts = int(rng.integers(0, 40))
        authors = rng.integers(0, pop.size, n_posts)
        authors[n_posts // 2 :] = authors[: n_posts - n_posts // 2]  # repeated authors: shared audiences
        valence = rng.choice(np.array([-1, 1], dtype=np.int8), n_posts)
        post_ids = rng.permutation(10_000)[:n_posts] * pop.size
        people = _people(pop.size, rng)
        expected = _reference_hear(net, people, retelling, authors, valence, counter, tick, post_ids)
        status, trust, acq_cum = (a.copy() for a in people)
        salted = counter.salted_key("audience", tick)
        reach = kernels.hear(
            authors,
            valence,
            post_ids,
            salted,
            retelling,
            EFFECT,
            net.compiled_lists,
            (status, trust, acq_cum),
        )
        assert np.array_equal(reach, expected[0])
        assert np.array_equal(trust, expected[1]) and np.array_equal(acq_cum, expected[2])
        assert np.array_equal(status, people[0])
        retold += int((reach > np.diff(net.start)[authors]).sum())
        clipped += int(np.isin(trust, (0.0, 1.0)).sum())
    assert retold > 20 and clipped > 20


def test_churned_close_ties_equal_the_numpy_formulation():
    world = small(customers=300).world
    pop = build_population(world, seed=3, replication=0)
    customers = Customers(world, pop, build_network(world, pop, seed=3, replication=0))
    net, followees = customers.net, customers.followees
    rng = np.random.default_rng(2)
    churned = rng.integers(0, pop.size, 60).astype(np.int32)
    seen, crowd = net.followers_of_each(churned)
    crowd = np.maximum(np.repeat(crowd, crowd), followees[seen])
    close_ties = float(np.median(crowd))  # half the links count whole, half in part
    expected = rng.random(pop.size)
    got = expected.copy()
    np.add.at(expected, seen, np.minimum(1.0, close_ties / np.maximum(crowd, 1)))
    kernels.churned_ties(churned, followees, close_ties, net.compiled_lists, got)
    assert np.array_equal(got, expected)


def test_word_of_mouth_through_silent_and_tiny_lists_equals_the_numpy_formulation():
    """Authors and tellers with no follower or fewer than the prefetch distance, on a hand-made
    network: a retelling chance far above 1 makes nearly every follower retell."""
    lists = [[], [2], [0, 1, 3], [], list(range(5, 40)), [0, 3, 4], *[[k - 1, k + 1] for k in range(6, 40)]]
    lists.append([0, 4])
    start = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(f) for f in lists], out=start[1:])
    followers = np.array([f for fs in lists for f in fs], dtype=np.int32)
    net = Network(start=start, lists=network_module.Gaps.encode(followers, start, 16))
    rng, counter = np.random.default_rng(5), Counter(seed=1, replication=0)
    authors = np.array([0, 1, 2, 3, 4, 5, 2, 0, 39], dtype=np.int64)
    valence = np.array([-1, -1, 1, -1, -1, 1, -1, 1, -1], dtype=np.int8)
    post_ids = np.arange(len(authors), dtype=np.int64) * 1000
    people = _people(len(lists), rng)
    expected = _reference_hear(net, people, (3.0, 20.0), authors, valence, counter, 0, post_ids)
    got = tuple(a.copy() for a in people)
    salted = counter.salted_key("audience", 0)
    reach = kernels.hear(authors, valence, post_ids, salted, (3.0, 20.0), EFFECT, net.compiled_lists, got)
    assert np.array_equal(reach, expected[0])
    assert np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])
    assert (reach > np.diff(start)[authors]).sum() >= 4  # the test's worth: retellings happened
