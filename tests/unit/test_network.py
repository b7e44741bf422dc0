"""The follower network's CSR reads: the one-gather lookup word of mouth uses, and the blocks
network.parquet is written from, must say exactly what the per-author slices say."""

from __future__ import annotations

import numpy as np
import pytest

import simulator.network as network_module
from simulator.network import build_network
from simulator.population import build_population
from tests.conftest import small


@pytest.fixture
def net() -> network_module.Network:
    world = small(customers=300).world
    return build_network(world, build_population(world, seed=3, replication=0), seed=3, replication=0)


def test_followers_of_many_authors_are_their_slices_in_order(net: network_module.Network) -> None:
    authors = np.array([5, 0, 5, 17, len(net.start) - 2])  # repeats, and the last node
    seen, reach = net.followers_of_each(authors)
    assert np.array_equal(seen, np.concatenate([net.followers(a) for a in authors.tolist()]))
    assert reach.tolist() == [len(net.followers(a)) for a in authors.tolist()]
    empty, none = net.followers_of_each(authors[:0])
    assert len(empty) == 0 and len(none) == 0


@pytest.mark.parametrize("max_edges", [1, 97, 10**9])
def test_edge_blocks_rebuild_the_network(net: network_module.Network, max_edges: int) -> None:
    blocks = list(net.edge_blocks(max_edges))
    author = np.concatenate([a for a, _ in blocks])
    follower = np.concatenate([f for _, f in blocks])
    assert np.array_equal(follower, net.followers_of)
    assert np.array_equal(np.bincount(author, minlength=len(net.start) - 1), np.diff(net.start))
    assert np.all(np.diff(author) >= 0)


def test_the_build_does_not_depend_on_its_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    world = small(customers=300).world
    pop = build_population(world, seed=3, replication=0)
    whole = build_network(world, pop, seed=3, replication=0)
    monkeypatch.setattr(network_module, "BUILD_BLOCK_EDGES", 101)
    blocked = build_network(world, pop, seed=3, replication=0)
    assert np.array_equal(whole.start, blocked.start)
    assert np.array_equal(whole.followers_of, blocked.followers_of)
    # sorted, no repeats, nobody follows themselves
    for a in range(len(whole.start) - 1):
        f = whole.followers(a)
        assert np.all(np.diff(f) > 0) and a not in f


def test_gaps_too_large_for_16_bits_are_kept_aside_and_decoded_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = small(customers=300).world
    pop = build_population(world, seed=3, replication=0)
    plain = build_network(world, pop, seed=3, replication=0)
    monkeypatch.setattr(network_module, "ESCAPE", 7)  # most gaps of a 300-node network escape now
    escaping = build_network(world, pop, seed=3, replication=0)
    assert len(escaping.lists.escaped) > 1000
    assert np.array_equal(escaping.followers_of, plain.followers_of)
    authors = np.array([3, 250, 3, 0])
    assert np.array_equal(escaping.followers_of_each(authors)[0], plain.followers_of_each(authors)[0])


def test_followers_far_apart_survive_the_encoding() -> None:
    """Ids up to a million: first followers and gaps beyond 16 bits, and nodes with no followers."""
    rng = np.random.default_rng(1)
    lists = [np.unique(rng.integers(0, 1_000_000, k)).astype(np.int32) for k in (0, 1, 2, 500, 0, 3)]
    start = np.r_[0, np.cumsum([len(f) for f in lists])].astype(np.int64)
    for max_edges in (1, 10**9):
        gaps = network_module.Gaps.encode(np.concatenate(lists), start, max_edges)
        net = network_module.Network(start=start, lists=gaps)
        assert all(np.array_equal(net.followers(a), f) for a, f in enumerate(lists))
        assert np.array_equal(net.followers_of, np.concatenate(lists))


def test_followees_count_every_list_a_node_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled count against a bincount of every follower, escaped gaps included."""
    world = small(customers=300).world
    monkeypatch.setattr(network_module, "ESCAPE", 7)
    net = build_network(world, build_population(world, seed=3, replication=0), seed=3, replication=0)
    counts = np.bincount(net.followers_of, minlength=len(net.start) - 1)
    assert counts.max() > 1 and np.array_equal(net.followees, counts) and net.followees.dtype == np.int32
