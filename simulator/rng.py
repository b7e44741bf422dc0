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

import numpy as np

from .arrays import Floats, Ids, Words

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TO_UNIT = 1.0 / float(1 << 53)

# Stream numbers are part of every seed's meaning: renumbering one changes every result drawn
# from it. Numbers 5 and 6 belonged to streams no longer drawn and stay unused.
STREAMS = {"population": 1, "network": 2, "candidates": 3, "broadcast": 4, "pitch": 7, "audience": 8}


def generator(seed: int, replication: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, replication, STREAMS[stream]]))


_WORD = (1 << 64) - 1


def _mix(x: Words) -> Words:
    """splitmix64's finaliser, elementwise, in place on `x` (which the caller owns)."""
    with np.errstate(over="ignore"):
        x += _GOLDEN
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
        return x


def _mix_one(x: int) -> int:
    """`_mix` of one 64-bit word, in Python integers: the same number without numpy's per-call cost
    (a uniform call mixes one salt before its ids)."""
    x = (x + int(_GOLDEN)) & _WORD
    x = ((x ^ (x >> 30)) * int(_M1)) & _WORD
    x = ((x ^ (x >> 27)) * int(_M2)) & _WORD
    return x ^ (x >> 31)


class Counter:
    """Counter-based uniforms for one replication."""

    def __init__(self, seed: int, replication: int):
        self._key = _mix_one((seed * 1_000_003 + replication) & _WORD)

    def uniform(self, stream: str, index: int, ids: Ids) -> Floats:
        salt = (STREAMS[stream] * 0x1000193 + index * 0x100000001B3) & _WORD
        x = ids.astype(np.uint64)  # a copy, mixed in place
        x ^= np.uint64(_mix_one(self._key ^ salt))
        x = _mix(x)
        x >>= np.uint64(11)
        u: Floats = x.astype(np.float64)
        u *= _TO_UNIT
        return u
