"""The follower network, drawn once per replication and shared by every arm (CRN).

Stored as CSR arrays (for node i, its followers are `followers_of[start[i]:start[i+1]]`) because
a post's reach is read on every word-of-mouth event; a graph library would make that lookup
~50x slower at 100k nodes. Analysts get the edges in network.parquet.

The build is vectorised and works through the edges a block of authors at a time, so its
transient memory is a few bytes per edge rather than the ~40 an all-at-once int64 build needs
(the network is the largest thing a replication holds: hundreds of edges per person).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from socialsim.contracts.world import World

from .arrays import Ids, Int32s, Int64s
from .population import Population
from .rng import generator

# Edges sorted and de-duplicated at once while building: bounds the build's int64 scratch
# arrays (~24 bytes per edge of the block) whatever the network's size [edges].
BUILD_BLOCK_EDGES = 1 << 21


@dataclass(frozen=True)
class Network:
    start: Int64s  # len n + 1
    followers_of: Int32s  # node ids

    def followers(self, node: int) -> Int32s:
        return self.followers_of[self.start[node] : self.start[node + 1]]

    def followers_of_each(self, nodes: Ids) -> tuple[Int32s, Int64s]:
        """(the followers of every node in `nodes`, concatenated in that order; each node's count),
        in one gather rather than a slice per node."""
        first = self.start[nodes]
        count = self.start[nodes + 1] - first
        before = np.cumsum(count) - count  # where each node's followers begin in the result
        at = np.arange(int(before[-1] + count[-1]) if len(count) else 0, dtype=np.int64)
        seen: Int32s = self.followers_of[at + np.repeat(first - before, count)]
        return seen, count

    def reach(self, nodes: Ids) -> Int64s:
        return (self.start[nodes + 1] - self.start[nodes]).astype(np.int64)

    def edge_blocks(self, max_edges: int) -> Iterator[tuple[Int32s, Int32s]]:
        """(author, follower) pairs, a post by `author` is seen by `follower`, in blocks of whole
        authors of about `max_edges` edges: the edges written out without a second full copy."""
        for a0, a1 in _author_blocks(self.start, max_edges):
            counts = np.diff(self.start[a0 : a1 + 1])
            authors = np.repeat(np.arange(a0, a1, dtype=np.int32), counts)
            yield authors, self.followers_of[self.start[a0] : self.start[a1]]


def build_network(world: World, pop: Population, seed: int, replication: int) -> Network:
    """Each node gets its drawn number of followers; a share `homophily` come from its own segment.

    Draw order (part of every seed's meaning): one uniform per edge for "same segment", one
    follower per edge uniformly, then, segment by segment, a follower from the author's own
    segment for the edges that drew "same". Self-follows move to the next node; repeated edges
    are dropped; each author's followers are sorted."""
    rng = generator(seed, replication, "network")
    n = pop.size
    counts = pop.followers.astype(np.int64)
    drawn = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=drawn[1:])
    total = int(drawn[-1])
    same = np.empty(total, dtype=bool)
    for lo in range(0, total, BUILD_BLOCK_EDGES):  # uniforms drawn in blocks are the same numbers
        same[lo : lo + BUILD_BLOCK_EDGES] = rng.random(min(BUILD_BLOCK_EDGES, total - lo)) < (
            world.population.homophily
        )
    follower = rng.integers(0, n, total, dtype=np.int32)  # int32 draws equal int64 ones below 2**31
    for seg in range(len(pop.segment_names)):
        members = np.flatnonzero(pop.segment == seg).astype(np.int32)
        spans = _edge_spans(pop, drawn, seg)
        picks = rng.integers(
            0, len(members), sum(int(np.count_nonzero(same[e0:e1])) for e0, e1 in spans), dtype=np.int32
        )
        used = 0
        for e0, e1 in spans:
            at = np.flatnonzero(same[e0:e1]) + e0
            follower[at] = members[picks[used : used + len(at)]]
            used += len(at)
    del same
    kept = _sort_and_deduplicate(follower, counts, drawn)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kept, out=start[1:])
    follower.resize(int(start[-1]), refcheck=False)  # in place: no view of it is left
    return Network(start=start, followers_of=follower)


def _edge_spans(pop: Population, drawn: Int64s, seg: int) -> list[tuple[int, int]]:
    """The edge ranges [e0, e1) whose authors are in segment `seg`, ascending, cut into pieces of at
    most BUILD_BLOCK_EDGES. Authors come in runs of one segment (the population is laid out by
    segment), so there are few."""
    change = np.flatnonzero(np.diff(pop.segment)) + 1
    first, last = np.r_[0, change], np.r_[change, pop.size]
    runs = np.flatnonzero(pop.segment[first] == seg)
    return [
        (lo, min(lo + BUILD_BLOCK_EDGES, int(drawn[last[r]])))
        for r in runs.tolist()
        for lo in range(int(drawn[first[r]]), int(drawn[last[r]]), BUILD_BLOCK_EDGES)
    ]


def _sort_and_deduplicate(follower: Int32s, counts: Int64s, drawn: Int64s) -> Int64s:
    """Per author: move self-follows to the next node, sort, drop repeats; compact the result to
    the front of `follower` in place. Returns each author's kept count."""
    n = len(counts)
    kept = np.zeros(n, dtype=np.int64)
    written = 0
    for a0, a1 in _author_blocks(drawn, BUILD_BLOCK_EDGES):
        drew = counts[a0:a1]
        f = follower[drawn[a0] : drawn[a1]]
        key = np.repeat(np.arange(a1 - a0, dtype=np.int64) * n, drew) + f  # author, then follower
        loop = np.flatnonzero(f == np.repeat(np.arange(a0, a1, dtype=np.int32), drew))
        key[loop] += (f[loop] + 1) % n - f[loop]  # a self-follow moves to the next node
        key.sort()  # authors keep their order, so each author's followers end up sorted
        repeated = np.flatnonzero(key[1:] == key[:-1]) + 1
        kept[a0:a1] = drew - np.bincount(
            np.searchsorted(np.cumsum(drew), repeated, side="right"), minlength=a1 - a0
        )
        key = np.delete(key, repeated)
        key -= np.repeat(np.arange(a1 - a0, dtype=np.int64) * n, kept[a0:a1])
        follower[written : written + len(key)] = key  # never ahead of the block being read
        written += len(key)
    return kept


def _author_blocks(first_edge: Int64s, max_edges: int) -> list[tuple[int, int]]:
    """Consecutive author ranges [a0, a1) of about `max_edges` edges each (at least one author);
    `first_edge[a]` is where author a's edges begin (CSR offsets, length n + 1)."""
    n = len(first_edge) - 1
    blocks, a0 = [], 0
    while a0 < n:
        a1 = int(np.searchsorted(first_edge, first_edge[a0] + max_edges, side="right")) - 1
        a1 = min(max(a1, a0 + 1), n)
        blocks.append((a0, a1))
        a0 = a1
    return blocks
