"""Random numbers that keep common random numbers (CRN) across arms.

Two sources, both owned by one replication and passed down explicitly (never a global RNG):

* `generator(seed, replication, stream)`: a numpy Generator for things drawn once per
  replication before any arm runs (population, network, candidate conversations).
* `Counter.uniform(stream, index, ids)`: a counter-based hash (splitmix64) that maps
  (replication key, stream, index, id) to a uniform number. Whatever one arm does, customer 17's
  draw for broadcast 3 on stream OFFER is the same number in every arm, so arms differ only
  where their strategy differs. A sequential generator could not promise that, because the
  number of draws made before would depend on the strategy.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .arrays import Floats, Ids
from .jit import compiled

# splitmix64's constants, as uint64 scalars: the compiled code keeps every step in uint64
# (wrapping) arithmetic, where a Python int would turn it into float64
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / float(1 << 53)

# Stream numbers are part of every seed's meaning: renumbering one changes every result drawn
# from it. Numbers 5 and 6 belonged to streams no longer drawn and stay unused.
STREAMS = {"population": 1, "network": 2, "candidates": 3, "broadcast": 4, "pitch": 7, "audience": 8}


def generator(seed: int, replication: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, replication, STREAMS[stream]]))


_WORD = (1 << 64) - 1


@compiled
def mix(x: np.uint64) -> np.uint64:
    """splitmix64's finaliser of one 64-bit word (compiled: word of mouth draws one per follower)."""
    x = x + _GOLDEN
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@compiled
def uniform_of(salted: np.uint64, i: int) -> float:
    """The uniform of id `i` in the draw whose `Counter.salted_key` is `salted`: the top 53 bits of
    the mixed word, as a fraction of 2**53."""
    return float(mix(np.uint64(i) ^ salted) >> _S11) * _TO_UNIT


@compiled
def uniforms(salted: np.uint64, ids: Ids) -> Floats:
    """The uniforms of `ids` in the draw whose `Counter.salted_key` is `salted`."""
    u = np.empty(len(ids), dtype=np.float64)
    for k in range(len(ids)):
        u[k] = uniform_of(salted, ids[k])
    return u


# Salted keys kept: a run asks for the same few draws every tick (retellings, pitches, unfollows),
# and a key costs two compiled calls [keys]
SALTED_KEYS_KEPT = 256


@lru_cache(maxsize=SALTED_KEYS_KEPT)
def _salted(key: int, stream: str, index: int) -> np.uint64:
    salt = (STREAMS[stream] * 0x1000193 + index * 0x100000001B3) & _WORD
    return np.uint64(mix(np.uint64(key ^ salt)))


class Counter:
    """Counter-based uniforms for one replication."""

    def __init__(self, seed: int, replication: int):
        self._key = int(mix(np.uint64((seed * 1_000_003 + replication) & _WORD)))

    def salted_key(self, stream: str, index: int) -> np.uint64:
        """The word every id of draw (`stream`, `index`) is mixed with (see `uniform_of`)."""
        return _salted(self._key, stream, index)

    def uniform(self, stream: str, index: int, ids: Ids) -> Floats:
        return uniforms(self.salted_key(stream, index), ids)
