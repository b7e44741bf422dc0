"""The follower network, drawn once per replication and shared by every arm (CRN).

Stored as CSR arrays (node i's followers are entries `start[i]:start[i+1]`) because a post's
reach is read on every word-of-mouth event; a graph library would make that lookup ~50x slower at
100k nodes. Word of mouth reads the lists in compiled code (`kernels`, from `compiled_lists`).
Analysts get the edges in network.parquet.

The network is the largest thing a replication holds (hundreds of edges per person, and every
replication in flight holds its own), so each follower list is stored as 16-bit gaps: a node's
followers are sorted, the first is kept in `first` and each next one as its distance from the one
before. A gap that does not fit (`ESCAPE` or more) is stored as `ESCAPE` and its value kept aside
(`Gaps`); with hundreds of followers per node such gaps are rare. Two bytes per edge instead of
four.

The build is vectorised and works through the edges a block of authors at a time, so its
transient memory is a few bytes per edge rather than the ~40 an all-at-once int64 build needs
(the network is the largest thing a replication holds: hundreds of edges per person).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from socialsim.contracts.world import World

from . import kernels
from .arrays import Bools, Ids, Int32s, Int64s, UInt8s, UInt16s
from .population import Population
from .rng import generator

# Edges sorted and de-duplicated at once while building: bounds the build's int64 scratch
# arrays (~24 bytes per edge of the block) whatever the network's size [edges].
BUILD_BLOCK_EDGES = 1 << 21
# A stored gap of this value means "look the gap up aside" (`Gaps.escaped_at`); smaller gaps are
# stored as they are [node ids].
ESCAPE = np.iinfo(np.uint16).max


@dataclass(frozen=True)
class Gaps:
    """Follower lists as 16-bit gaps (see the module's docstring)."""

    first: Int32s  # each node's lowest follower id (0 when it has none), len n
    last: Int32s  # each node's highest follower id (0 when it has none), len n
    gaps: UInt16s  # per edge: 0 for a node's first follower, else the distance from the previous one
    escaped_at: Int64s  # ascending positions in `gaps` holding ESCAPE
    escaped: Int32s  # the true gap at each of those positions

    @staticmethod
    def encode(followers: Int32s, start: Int64s, max_edges: int) -> Gaps:
        """Encode CSR follower lists (each sorted ascending), a block of authors at a time, into
        `followers`' own buffer, which is then shrunk to the gaps: the build never holds every
        edge's 4-byte id and 2-byte gap at once. `followers` is consumed: it must own its data,
        and nothing may view it (its buffer becomes the gaps')."""
        n, edges = len(start) - 1, int(start[-1])
        first, last = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
        has = start[1:] > start[:-1]
        first[has] = followers[start[:-1][has]]
        last[has] = followers[start[1:][has] - 1]
        # gap e takes bytes [2e, 2e + 2) of the buffer, at or behind id e's [4e, 4e + 4), so a
        # block's gaps overwrite only ids of blocks already read
        gaps = followers.view(np.uint16)
        at_parts, value_parts = [], []
        for a0, a1 in _author_blocks(start, max_edges):
            e0, e1 = int(start[a0]), int(start[a1])
            if e1 == e0:
                continue
            d = np.diff(followers[e0:e1])  # read before this block's gaps are written
            firsts = start[a0 + 1 : a1]
            d[firsts[(firsts > e0) & (firsts < e1)] - e0 - 1] = 0  # each author's first follower
            big = np.flatnonzero(d >= ESCAPE)
            at_parts.append(big + e0 + 1)
            value_parts.append(d[big])
            d[big] = ESCAPE
            gaps[e0] = 0
            gaps[e0 + 1 : e1] = d
        del gaps
        # a realloc, which may move the buffer: safe only because no view of `followers` is left
        # (`gaps` was one, deleted above); frees the rest
        followers.resize(-(-edges // 2), refcheck=False)
        escaped_at = np.concatenate(at_parts) if at_parts else np.zeros(0, dtype=np.int64)
        escaped = np.concatenate(value_parts) if value_parts else np.zeros(0, dtype=np.int32)
        return Gaps(
            first,
            last,
            followers.view(np.uint16)[:edges],
            escaped_at.astype(np.int64),
            escaped.astype(np.int32),
        )

    def decode(self, first: Int64s, nodes: Ids, count: Int64s, before: Int64s) -> Int64s:
        """The whole follower lists of `nodes`, in order: list k is stored at gaps
        `first[k]:first[k] + count[k]` and starts at `before[k]` of the result. Node ids come out
        as intp, the index type: whoever reads them indexes per-person arrays with them."""
        total = int(before[-1] + count[-1]) if len(count) else 0
        g = self.gaps[self._positions(first, count, before, total)].astype(np.intp)
        # the escaped gaps inside each list, found from the lists' bounds rather than by a scan
        lo = self.escaped_at.searchsorted(first)
        escapes = self.escaped_at.searchsorted(first + count) - lo
        if escapes.any():
            k = np.arange(len(first)).repeat(escapes)  # the list each escaped gap is in
            j = np.arange(int(escapes.sum())) + (lo - (escapes.cumsum() - escapes)).repeat(escapes)
            g[before[k] + (self.escaped_at[j] - first[k])] = self.escaped[j]
        # each list starts with the step from the previous list's last follower to its own first,
        # so one running sum gives every follower id (and never leaves [0, n))
        listed = count > 0
        owners = nodes[listed]
        step = self.first[owners].astype(np.intp)
        step[1:] -= self.last[owners[:-1]]
        g[before[listed]] = step
        return g.cumsum(out=g)

    @staticmethod
    def _positions(first: Int64s, count: Int64s, before: Int64s, total: int) -> Int64s:
        """Where in `gaps` each entry of the result is stored."""
        at = np.arange(total, dtype=np.int64)
        at += (first - before).repeat(count)
        return at


@dataclass(frozen=True)
class Network:
    start: Int64s  # len n + 1: node i's followers are entries start[i]:start[i+1]
    lists: Gaps

    @cached_property
    def followees(self) -> Int32s:
        """How many nodes each node follows: one count per replication, shared by its arms
        (compiled: it reads every edge)."""
        return kernels.followee_counts(self.compiled_lists)

    @property
    def followers_of(self) -> Int32s:
        """Every follower list, concatenated in node order (decoded whole: for tests and small worlds)."""
        return np.concatenate([f for _, f in self.edge_blocks(BUILD_BLOCK_EDGES)] or [np.zeros(0, np.int32)])

    def followers(self, node: int) -> Int64s:
        return self.followers_of_each(np.array([node]))[0]

    def followers_of_each(self, nodes: Ids) -> tuple[Int64s, Int64s]:
        """(the followers of every node in `nodes`, concatenated in that order; each node's count),
        decoded in one pass rather than a slice per node."""
        first = self.start[nodes]
        count = self.start[nodes + 1] - first
        before = count.cumsum() - count  # where each node's followers begin in the result
        return self.lists.decode(first, nodes, count, before), count

    @property
    def compiled_lists(self) -> tuple[Int64s, Int32s, UInt16s, Int64s, Int32s]:
        """(start, first, gaps, escaped_at, escaped): the follower lists as `kernels` reads them."""
        g = self.lists
        return self.start, g.first, g.gaps, g.escaped_at, g.escaped

    def edge_blocks(self, max_edges: int) -> Iterator[tuple[Int32s, Int32s]]:
        """(author, follower) pairs, a post by `author` is seen by `follower`, in blocks of whole
        authors of about `max_edges` edges: the edges written out without a second full copy."""
        for a0, a1 in _author_blocks(self.start, max_edges):
            counts = np.diff(self.start[a0 : a1 + 1])
            authors = np.arange(a0, a1, dtype=np.int32)
            before = self.start[a0:a1] - self.start[a0]
            followers = self.lists.decode(self.start[a0:a1], authors, counts, before).astype(np.int32)
            yield np.repeat(authors, counts), followers


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
    same = np.empty((total + 7) // 8, dtype=np.uint8)  # one bit per edge: the build's peak is the ids
    step = max(8, BUILD_BLOCK_EDGES - BUILD_BLOCK_EDGES % 8)  # whole bytes of bits per block
    for lo in range(0, total, step):  # uniforms drawn in blocks are the same numbers
        draws = rng.random(min(step, total - lo))
        same[lo // 8 : (lo + len(draws) + 7) // 8] = np.packbits(draws < world.population.homophily)
    follower = rng.integers(0, n, total, dtype=np.int32)  # int32 draws equal int64 ones below 2**31
    for seg in range(len(pop.segment_names)):
        members = np.flatnonzero(pop.segment == seg).astype(np.int32)
        for e0, e1 in _edge_spans(pop, drawn, seg):
            # bounded int32 draws in pieces are the numbers of one draw of them all (the bit
            # generator keeps a half-used 64-bit word between calls), so a segment's picks are drawn
            # a span at a time rather than held for the whole network
            at = np.flatnonzero(_bits(same, e0, e1)) + e0
            follower[at] = members[rng.integers(0, len(members), len(at), dtype=np.int32)]
    del same
    kept = _sort_and_deduplicate(follower, counts, drawn)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kept, out=start[1:])
    lists = Gaps.encode(follower, start, BUILD_BLOCK_EDGES)
    return Network(start=start, lists=lists)


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


def _bits(packed: UInt8s, e0: int, e1: int) -> Bools:
    """Entries [e0, e1) of a bit array packed by `np.packbits`."""
    b0 = e0 // 8
    bits: Bools = np.unpackbits(packed[b0 : (e1 + 7) // 8])[e0 - 8 * b0 : e1 - 8 * b0].astype(bool)
    return bits


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
