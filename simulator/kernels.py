"""Word of mouth as compiled loops (numba), because numpy cannot express it cheaply.

A tick's word of mouth is a few dozen posts, each seen by a few hundred followers, some of whom
retell it to their own followers: dozens of numpy calls on arrays of a few thousand entries, so
numpy's per-call cost, not the arithmetic, was most of the time (a profile put `Customers.hear`
at about a third of a run). One compiled pass decodes the follower lists from their 16-bit gaps
(`network.Gaps`), draws the retelling uniforms (`rng.Counter`'s hash), and applies the effects.

The numbers are those of the numpy formulation, bit for bit: the same float64 operations in the
same order (no fastmath), additions to trust and prospects' pull applied in the order `np.add.at`
applied them (every post's direct audience first, post by post, then the retold audience, post by
post), and trust clipped to [0, 1] only after all of them. `cache=True` keeps the machine code on
disk (see `jit`).
"""

from __future__ import annotations

import numpy as np

from .arrays import Floats, Ids, Int8s, Int32s, Int64s, UInt16s
from .jit import compiled
from .rng import uniform_of


@compiled
def _decode(
    node: int, start: Int64s, first: Int32s, gaps: UInt16s, escaped_at: Int64s, escaped: Int32s, out: Int64s
) -> None:
    """Write node's followers (ascending) into `out`, decoded from their gaps; a gap stored at a
    position of `escaped_at` is read from `escaped` instead."""
    p0, p1 = start[node], start[node + 1]
    if p1 == p0:
        return
    f = np.int64(first[node])
    out[0] = f
    k = np.searchsorted(escaped_at, p0)  # the next escaped gap at or after the list's start
    for p in range(p0 + 1, p1):
        if k < len(escaped_at) and escaped_at[k] == p:
            f += np.int64(escaped[k])
            k += 1
        else:
            f += np.int64(gaps[p])
        out[p - p0] = f


@compiled
def _listed(
    nodes: Ids, start: Int64s, first: Int32s, gaps: UInt16s, escaped_at: Int64s, escaped: Int32s
) -> tuple[Int64s, Int64s]:
    """(the followers of every node of `nodes`, concatenated in that order; where each list begins,
    with the total last), as `Network.followers_of_each` gives them."""
    at = np.zeros(len(nodes) + 1, dtype=np.int64)
    for k in range(len(nodes)):
        at[k + 1] = at[k] + start[nodes[k] + 1] - start[nodes[k]]
    out = np.empty(at[-1], dtype=np.int64)
    for k in range(len(nodes)):
        _decode(nodes[k], start, first, gaps, escaped_at, escaped, out[at[k] : at[k + 1]])
    return out, at


@compiled
def hear(
    authors: Ids,
    valence: Ids,
    post_ids: Int64s,
    salted: np.uint64,
    retelling: tuple[float, float],
    effect: tuple[float, float, float],
    network: tuple[Int64s, Int32s, UInt16s, Int64s, Int32s],
    people: tuple[Int8s, Floats, Floats],
) -> Int64s:
    """`Customers.hear`: returns each post's reach, retellings included, and changes trust and
    acquisition pull in place. The retelling uniform of (post k, follower f) is the counter's of id
    `post_ids[k] + f`. `retelling` is (positive, negative) times over; `effect` is (trust per post
    heard, a prospect's pull by praise, by criticism); `network` is (start, first, gaps, escaped_at,
    escaped); `people` is (status, trust, acq_cum), status 1 a customer and 0 a prospect."""
    start, first, gaps, escaped_at, escaped = network
    status, trust, acq_cum = people
    seen, at = _listed(authors, start, first, gaps, escaped_at, escaped)
    n_posts = len(authors)
    reach = np.empty(n_posts, dtype=np.int64)
    tellers = np.empty(len(seen), dtype=np.int64)
    told_by = np.empty(len(seen), dtype=np.int64)  # the post a teller retells
    n_tells = 0
    for k in range(n_posts):
        reach[k] = at[k + 1] - at[k]
        more_times = (retelling[0] if valence[k] > 0 else retelling[1]) - 1.0
        for j in range(at[k], at[k + 1]):
            f = seen[j]
            chance = more_times / np.float64(max(start[f + 1] - start[f], 1))
            if uniform_of(salted, post_ids[k] + f) < chance:
                tellers[n_tells] = f
                told_by[n_tells] = k
                n_tells += 1
    retold, told_at = _listed(tellers[:n_tells], start, first, gaps, escaped_at, escaped)
    for t in range(n_tells):
        reach[told_by[t]] += told_at[t + 1] - told_at[t]
    for k in range(n_posts):
        _affect(seen[at[k] : at[k + 1]], valence[k], effect, status, trust, acq_cum)
    for t in range(n_tells):
        _affect(retold[told_at[t] : told_at[t + 1]], valence[told_by[t]], effect, status, trust, acq_cum)
    _clip(seen, status, trust)
    _clip(retold, status, trust)
    return reach


@compiled
def _affect(
    audience: Int64s,
    sign: int,
    effect: tuple[float, float, float],
    status: Int8s,
    trust: Floats,
    acq_cum: Floats,
) -> None:
    """One post's audience hears it: customers' trust moves by sign x effect, prospects are pulled in
    (praise) or put off (criticism)."""
    moved = np.float64(sign) * effect[0]
    pull = effect[1] if sign > 0 else -effect[2]
    for f in audience:
        if status[f] == 1:
            trust[f] += moved
        elif status[f] == 0:
            acq_cum[f] += pull


@compiled
def _clip(audience: Int64s, status: Int8s, trust: Floats) -> None:
    """Customers' trust back into [0, 1], as np.maximum then np.minimum put it (NaN and -0.0 kept)."""
    for f in audience:
        if status[f] == 1:
            t = trust[f]
            if t < 0.0:
                trust[f] = 0.0
            elif t > 1.0:
                trust[f] = 1.0


@compiled
def churned_ties(
    churned: Ids,
    followees: Int32s,
    close_ties: float,
    network: tuple[Int64s, Int32s, UInt16s, Int64s, Int32s],
    churned_followees: Floats,
) -> None:
    """Each follower of a churner adds the chance the link is a close tie,
    min(1, close_ties / max(1, the larger of the churner's followers and the follower's followees)),
    in the order `np.add.at` added them (see `Customers.end_of_day`)."""
    start, first, gaps, escaped_at, escaped = network
    seen, at = _listed(churned, start, first, gaps, escaped_at, escaped)
    for k in range(len(churned)):
        crowd = at[k + 1] - at[k]
        for j in range(at[k], at[k + 1]):
            f = seen[j]
            churned_followees[f] += min(1.0, close_ties / np.float64(max(max(crowd, followees[f]), 1)))
