"""The world's per-tick loops compiled (numba), where numpy's per-call cost, not the arithmetic,
was the time: word of mouth, thinning a tick's candidates, reactions to replies and the unfollows
after them; and, once per replication, counting whom each person follows (every edge read).

A tick's word of mouth is a few dozen posts, each seen by a few hundred followers, some of whom
retell it to their own followers: dozens of numpy calls on arrays of a few thousand entries (a
profile put `Customers.hear` at about a third of a run). One compiled pass decodes the follower
lists from their 16-bit gaps (`network.Gaps`), draws the retelling uniforms (`rng.Counter`'s
hash), and applies the effects. The other loops take a tick's few dozen conversations or replies.

The numbers are those of the numpy formulations, bit for bit: the same float64 operations in the
same order (no fastmath, and no transcendental function: numpy's and numba's differ in the last
bits), additions applied in the order `np.add.at` applied them (for word of mouth: every post's
direct audience first, post by post, then the retold audience, post by post), and clips to a range
only after all of them. `cache=True` keeps the machine code on disk (see `jit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numba.core.cgutils
import numba.extending
import numpy as np
from llvmlite import ir

from .arrays import Bools, Floats, Ids, Int8s, Int16s, Int32s, Int64s, UInt16s
from .jit import compiled
from .rng import uniform_of

Lists = tuple[Int64s, Int32s, UInt16s, Int64s, Int32s]  # (start, first, gaps, escaped_at, escaped)

_cgutils: Any = numba.core.cgutils  # untyped (numba has no stubs)

# How many hearers ahead word of mouth asks the cache for a hearer's entries: enough to overlap
# the reads' latency, few enough that the lines are still there when read [hearers].
PREFETCH_AHEAD = 8


def _prefetch_of(typingctx: Any, array: Any, index: Any) -> tuple[Any, Callable[..., Any]]:
    """LLVM's prefetch of `array[index]`'s cache line, for reading, kept in every cache level: a
    hint that changes no value and never faults (numba has no prefetch of its own)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        item = _cgutils.get_item_pointer(context, builder, array_type, view, [args[1]], wraparound=False)
        at = builder.bitcast(item, ir.PointerType(ir.IntType(8)))  # one declaration for every dtype
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [at.type, i32, i32, i32])
        fn = _cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch.p0")
        builder.call(fn, [at, i32(0), i32(3), i32(1)])  # read, keep everywhere, data
        return context.get_dummy_value()

    return numba.types.void(array, index), codegen


_prefetch = cast(Callable[[Any, int], None], numba.extending.intrinsic(_prefetch_of))


@compiled
def _clipped(x: float, low: float, high: float) -> float:
    """x clipped to [low, high] as np.maximum then np.minimum clip it (NaN kept)."""
    if x < low:
        return low
    if x > high:
        return high
    return x


@compiled
def _decode(node: int, lists: Lists, out: Int64s) -> Int64s:
    """Node's followers (ascending), decoded from their gaps into the front of `out`, or of a
    larger array when they do not fit (returned either way); a gap stored at a position of
    `escaped_at` is read from `escaped` instead."""
    start, first, gaps, escaped_at, escaped = lists
    p0, p1 = start[node], start[node + 1]
    if p1 - p0 > len(out):
        out = np.empty(2 * (p1 - p0), dtype=np.int64)
    if p1 == p0:
        return out
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
    return out


@compiled
def followee_counts(lists: Lists) -> Int32s:
    """How many lists each node is on: the nodes it follows (one pass decoding every list)."""
    start = lists[0]
    n = len(start) - 1
    counts = np.zeros(n, dtype=np.int32)
    followers = np.empty(0, dtype=np.int64)
    for node in range(n):
        followers = _decode(node, lists, followers)
        for j in range(start[node + 1] - start[node]):
            counts[followers[j]] += 1
    return counts


@compiled
def hear(
    authors: Ids,
    valence: Ids,
    post_ids: Int64s,
    salted: np.uint64,
    retelling: tuple[float, float],
    effect: tuple[float, float, float],
    lists: Lists,
    people: tuple[Int8s, Floats, Floats],
) -> Int64s:
    """`Customers.hear`: returns each post's reach, retellings included, and changes trust and
    acquisition pull in place. The retelling uniform of (post k, follower f) is the counter's of id
    `post_ids[k] + f`. `retelling` is (positive, negative) times over; `effect` is (trust per post
    heard, a prospect's pull by praise, by criticism); `people` is (status, trust, acq_cum), status 1
    a customer and 0 a prospect.

    Each list is decoded once and acted on at once: what a follower hears does not change whether
    they retell, so the direct audiences (post by post) then the retold ones (teller by teller) are
    heard in the order numpy's `np.add.at` added them. One loop serves both: the tellers queue up
    behind the authors, and a retold audience draws nothing (it does not retell). The audiences are
    random ids spread over arrays larger than the core's cache, so the loop asks for a hearer's
    entries `PREFETCH_AHEAD` hearers before it reads them (a hint: no value changes); a call per
    hearer would cost more than the hearing (numba counts references at every call)."""
    start = lists[0]
    status, trust, acq_cum = people
    n_posts = len(authors)
    reach = np.empty(n_posts, dtype=np.int64)
    for k in range(n_posts):
        reach[k] = start[authors[k] + 1] - start[authors[k]]
    # the authors, then the tellers as they are found; `told` is the post each one tells
    tellers = np.empty(n_posts + reach.sum(), dtype=np.int64)
    told = np.empty(len(tellers), dtype=np.int64)
    tellers[:n_posts], told[:n_posts] = authors, np.arange(n_posts)
    n_tellers, n_strays = n_posts, 0
    followers, strays = np.empty(0, dtype=np.int64), np.empty(16, dtype=np.int64)
    t = 0
    while t < n_tellers:
        k = told[t]
        followers = _decode(tellers[t], lists, followers)
        n = start[tellers[t] + 1] - start[tellers[t]]
        if t >= n_posts:
            reach[k] += n
        more_times = (retelling[0] if valence[k] > 0 else retelling[1]) - 1.0 if t < n_posts else 0.0
        retold = more_times > 0.0  # a uniform is never below a chance of 0 or less: no draw then
        moved = np.float64(valence[k]) * effect[0]
        pull = effect[1] if valence[k] > 0 else -effect[2]
        for j in range(n):
            if j + PREFETCH_AHEAD < n:
                g = followers[j + PREFETCH_AHEAD]
                _prefetch(status, g)
                _prefetch(trust, g)
                _prefetch(acq_cum, g)
                if retold:
                    _prefetch(start, g)
            f = followers[j]
            if retold and uniform_of(salted, post_ids[k] + f) < more_times / np.float64(
                max(start[f + 1] - start[f], 1)
            ):
                tellers[n_tellers] = f
                told[n_tellers] = k
                n_tellers += 1
            if status[f] == 1:
                trust[f] += moved
                if not 0.0 <= trust[f] <= 1.0:
                    # numpy clipped every hearer after all the additions, which changes only those
                    # whose trust ended outside, and each of them left it at their last addition
                    if n_strays == len(strays):
                        strays = np.concatenate((strays, np.empty(n_strays, dtype=np.int64)))
                    strays[n_strays] = f
                    n_strays += 1
            elif status[f] == 0:
                acq_cum[f] += pull
        t += 1
    for f in strays[:n_strays]:
        trust[f] = _clipped(trust[f], 0.0, 1.0)
    return reach


@compiled
def churned_ties(
    churned: Ids, followees: Int32s, close_ties: float, lists: Lists, churned_followees: Floats
) -> None:
    """Each follower of a churner adds the chance the link is a close tie,
    min(1, close_ties / max(1, the larger of the churner's followers and the follower's followees)),
    in the order `np.add.at` added them (see `Customers.end_of_day`)."""
    start = lists[0]
    followers = np.empty(0, dtype=np.int64)
    for c in churned:
        followers = _decode(c, lists, followers)
        crowd = start[c + 1] - start[c]
        for f in followers[:crowd]:
            churned_followees[f] += min(1.0, close_ties / np.float64(max(max(crowd, followees[f]), 1)))


@compiled
def kept(
    first: int,
    stop: int,
    candidates: tuple[Int32s, Int8s, Floats],
    intents: tuple[int, int, int],
    people: tuple[Int8s, Floats, Floats, Floats],
    max_mult: float,
) -> Int64s:
    """`Customers.keeps` over the candidates first..stop-1: the indices of those this arm's state
    turns into posts, ascending. `candidates` is (node, intent, u); `intents` is (question, complaint,
    praise); `people` is (status, comeback, trust, baseline), status 1 a customer. Only a division, a
    product and comparisons, as numpy did them: a seeker's rate rises by their comeback, a praiser's
    is trust / max(baseline, 1e-9) clipped to [0, max_mult] (NaN kept, as np.maximum and np.minimum)."""
    node, intent, u = candidates
    question, complaint, praise = intents
    status, comeback, trust, baseline = people
    out = np.empty(stop - first, dtype=np.int64)
    n = 0
    for i in range(first, stop):
        f = node[i]
        if status[f] != 1:
            continue
        mult = 1.0
        if intent[i] == question or intent[i] == complaint:
            mult = comeback[f]
        elif intent[i] == praise:
            b = baseline[f]
            mult = _clipped(trust[f] / (1e-9 if b < 1e-9 else b), 0.0, max_mult)
        if u[i] * max_mult < mult:
            out[n] = i
            n += 1
    return out[:n]


@compiled
def react(
    responses: tuple[Ids, Int8s, Floats, Floats, Bools, Bools, Floats, Bools],
    uniforms: tuple[Floats, Floats, Floats],
    intents: tuple[int, int, int],
    rates: tuple[float, ...],
    per_segment: tuple[Int16s, Floats, Floats, Floats],
    people: tuple[Floats, Floats, Floats],
) -> tuple[Bools, Floats, Floats, Int8s, Bools, Bools]:
    """`Customers.react` as one loop, the numpy formulation's float64 operations in its order.
    `responses` is (node, intent, quality, decay, answered, pitched, tone, offer), decay being
    0.5 ** (delay / half-life) (computed by numpy: no transcendental function here); `uniforms` is
    (outcome, word of mouth, pitch); `intents` is (question, complaint, purchase); `rates` is
    (complaint weight, gain helped, loss unhelped, loss ignored, gain acknowledged, pitch annoyance,
    comeback cap, 1 + comeback uplift, conversion unanswered, conversion helped, pitch conversion,
    1 - offer discount, advocacy after help, rant after neglect); `per_segment` is (segment per
    person, service, promotion, purchase value by segment); `people` is (trust, fatigue, comeback),
    changed in place.

    Trust moves by `np.add.at`'s order (response by response) and is clipped to [0, 1] after all
    moves; a comeback rises once per person however many of their answers helped (numpy's fancy
    assignment: every new value from the old, the last written wins)."""
    node, intent, quality, decay, answered, pitched, tone, offer = responses
    u_outcome, u_wom, u_pitch = uniforms
    question, complaint, purchase = intents
    (
        complaint_weight,
        gain_helped,
        loss_unhelped,
        loss_ignored,
        gain_acknowledged,
        pitch_annoyance,
        comeback_cap,
        comeback_rise,
        conversion_unanswered,
        conversion_helped,
        pitch_conversion,
        offer_price,
        advocacy,
        rant,
    ) = rates
    segment, service, promotion, purchase_value = per_segment
    trust, fatigue, comeback = people
    n = len(node)
    helped = np.zeros(n, dtype=np.bool_)
    dollars = np.zeros(n, dtype=np.float64)
    valence = np.zeros(n, dtype=np.int8)
    annoyed = np.zeros(n, dtype=np.bool_)
    neglected = np.zeros(n, dtype=np.bool_)
    rises = np.empty(n, dtype=np.float64)
    for k in range(n):
        f, i = node[k], intent[k]
        s = segment[f]
        seeking = i in (question, complaint, purchase)
        p_help = quality[k] * decay[k] if answered[k] else 0.0
        helped[k] = seeking and u_outcome[k] < p_help
        if seeking:
            weight = (complaint_weight if i == complaint else 1.0) * service[s]
            moved = gain_helped if helped[k] else (-loss_unhelped if answered[k] else -loss_ignored)
            delta = moved * weight
        else:
            delta = gain_acknowledged * p_help * service[s]
        if delta > 0:
            delta = delta * tone[k]
        annoyed[k] = pitched[k] and i != purchase
        delta = delta - (pitch_annoyance if annoyed[k] else 0.0)
        trust[f] += delta
        p_buy = conversion_unanswered + (conversion_helped - conversion_unanswered) * p_help
        bought = i == purchase and u_outcome[k] < p_buy
        pitch_buy = annoyed[k] and u_pitch[k] < pitch_conversion * promotion[s]
        if bought or pitch_buy:
            dollars[k] = purchase_value[s] * (offer_price if offer[k] else 1.0)
        advocacy_chance = advocacy * service[s]
        if helped[k] and u_wom[k] < (1.0 if advocacy_chance > 1.0 else advocacy_chance):
            valence[k] = 1
        elif i == complaint and not helped[k] and u_wom[k] < rant:
            valence[k] = -1
        neglected[k] = seeking and i != purchase and not answered[k]
        risen = comeback[f] * comeback_rise
        rises[k] = comeback_cap if risen > comeback_cap else risen
    for k in range(n):
        f = node[k]
        trust[f] = _clipped(trust[f], 0.0, 1.0)
        fatigue[f] += 1.0 if annoyed[k] else 0.0
    for k in range(n):
        if helped[k] and intent[k] != purchase:
            comeback[node[k]] = rises[k]
    trust_after = np.empty(n, dtype=np.float64)
    for k in range(n):
        trust_after[k] = trust[node[k]]
    return helped, dollars, trust_after, valence, annoyed, neglected


@compiled
def unfollows_after(
    responses: tuple[Ids, Bools, Bools, Floats],
    fatigue: Floats,
    chances: tuple[float, float],
    audience: tuple[Bools, Bools],
) -> tuple[Int64s, Int8s]:
    """`Audience.after_responses` past its early return: each person's first response (by person
    ascending, as np.unique's return_index) gives their chance to unfollow, promotion (an unasked
    pitch, by fatigue) then neglect; `Audience.unfollow`'s cumulative sum over the four reasons
    (frequency and irrelevance 0 here) in its order. `responses` is (node, annoyed, neglected,
    uniform); `chances` is (unfollow per promotion, after neglect); `audience` is (follows,
    unfollowed), changed in place. Returns (unfollowers, reasons)."""
    node, annoyed, neglected, u = responses
    per_promotion, after_neglect = chances
    follows, unfollowed = audience
    order = np.argsort(node, kind="mergesort")
    left = np.empty(len(node), dtype=np.int64)
    reason = np.empty(len(node), dtype=np.int8)
    n = 0
    for j in range(len(order)):
        k = order[j]
        f = node[k]
        if j > 0 and node[order[j - 1]] == f:  # a person unfollows once
            continue
        c0 = per_promotion * fatigue[f] if annoyed[k] else 0.0
        c1 = c0 + 0.0
        c2 = c1 + 0.0
        c3 = c2 + (after_neglect if neglected[k] and not annoyed[k] else 0.0)
        if follows[f] and u[k] < (1.0 if c3 > 1.0 else c3):  # as np.minimum (NaN kept)
            left[n] = f
            reason[n] = (u[k] >= c0) + (u[k] >= c1) + (u[k] >= c2) + (u[k] >= c3)
            n += 1
            follows[f] = False
            unfollowed[f] = True
    return left[:n], reason[:n]
