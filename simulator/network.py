"""The follower network, drawn once per replication and shared by every arm (CRN).

Stored as CSR arrays (for node i, its followers are `followers_of[start[i]:start[i+1]]`) because
a post's reach is read on every word-of-mouth event; a graph library would make that lookup
~50x slower at 100k nodes. Analysts get the edges in network.parquet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsim.contracts.world import World

from .arrays import Ids, Int32s, Int64s
from .population import Population
from .rng import generator


@dataclass(frozen=True)
class Network:
    start: Int64s  # len n + 1
    followers_of: Int32s  # node ids

    def followers(self, node: int) -> Int32s:
        return self.followers_of[self.start[node] : self.start[node + 1]]

    def reach(self, nodes: Ids) -> Int64s:
        return (self.start[nodes + 1] - self.start[nodes]).astype(np.int64)

    def edges(self) -> tuple[Int32s, Int32s]:
        """(author, follower) pairs: a post by `author` is seen by `follower`."""
        counts = np.diff(self.start)
        return np.repeat(np.arange(len(counts), dtype=np.int32), counts), self.followers_of


def build_network(world: World, pop: Population, seed: int, replication: int) -> Network:
    """Each node gets its drawn number of followers; a share `homophily` come from its own segment."""
    rng = generator(seed, replication, "network")
    n = pop.size
    counts = pop.followers.astype(np.int64)
    author = np.repeat(np.arange(n, dtype=np.int64), counts)
    by_segment = [np.flatnonzero(pop.segment == s) for s in range(len(pop.segment_names))]
    same = rng.random(len(author)) < world.population.homophily
    follower = rng.integers(0, n, len(author))
    seg_of_author = pop.segment[author]
    for s, members in enumerate(by_segment):
        pick = same & (seg_of_author == s)
        follower[pick] = members[rng.integers(0, len(members), int(pick.sum()))]
    follower = np.where(follower == author, (follower + 1) % n, follower)
    key = np.sort(author * n + follower)  # sorted by author, then follower
    key = key[np.r_[True, key[1:] != key[:-1]]]  # drop repeated edges
    author, followers_of = key // n, (key % n).astype(np.int32)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(author, minlength=n), out=start[1:])
    return Network(start=start, followers_of=followers_of)
