"""The end of a day over everyone, compiled (numba): fatigue fading, trust drifting home, churn and
acquisitions, bills due, and the lists of customers and prospects they change.

Each arm of each replication walks its whole population once a day. As numpy this was dozens of
passes over ~100k people per arm per day (gathers of per-segment figures, masks, `flatnonzero`,
widenings), about a sixth of a run in a profile; here it is a few loops that touch each person once.

The numbers are those of the numpy formulation, bit for bit: the same float64 operations in the
same order (no fastmath, so no fused multiply-add: `drift = baseline - trust; drift *= keep;
trust += drift` stays three roundings). Every transcendental function stays with numpy (`np.exp`,
`np.power`, in `Customers`): numpy's vectorised ones and the C library's numba would call differ
in the last bits. So the hazard is split: `exposure` gathers the exponent and the churned ties,
numpy raises them, `hazards` multiplies them in. Status codes come as arguments (`codes`:
prospect, customer, churned) so this module stays below `customers`.

Arrays are allocated at the size they end up with (counted first, a cheap pass over one byte a
person) rather than for everyone and cut: fresh pages cost more than the loops over them.
"""

from __future__ import annotations

import numpy as np

from .arrays import Bools, Floats, Ids, Int8s, Int16s, Int32s, Int64s
from .jit import compiled

Codes = tuple[int, int, int]  # (prospect, customer, churned) status codes


@compiled
def _count(status: Int8s, codes: Codes) -> tuple[int, int]:
    """(customers, prospects): how many of each status."""
    prospect, customer, _ = codes
    na = npr = 0
    for i in range(len(status)):
        na += 1 if status[i] == customer else 0
        npr += 1 if status[i] == prospect else 0
    return na, npr


@compiled
def members(status: Int8s, codes: Codes) -> tuple[Int32s, Int32s]:
    """(customers, prospects): node ids of each status, ascending."""
    prospect, customer, _ = codes
    na, npr = _count(status, codes)
    active, prospects = np.empty(na, dtype=np.int32), np.empty(npr, dtype=np.int32)
    na = npr = 0
    for i in range(len(status)):
        if status[i] == customer:
            active[na] = i
            na += 1
        elif status[i] == prospect:
            prospects[npr] = i
            npr += 1
    return active, prospects


@compiled
def _exponent(minus_elasticity: float, trust: float, baseline: float) -> float:
    """The churn hazard's exponent: -elasticity x (trust - baseline)."""
    return minus_elasticity * (trust - baseline)


@compiled
def settle(
    fade: float,
    keep: float,
    minus_elasticity: float,
    codes: Codes,
    people: tuple[Int8s, Floats, Floats, Floats, Floats],
) -> tuple[Int32s, Int32s, Floats, Int64s, Floats]:
    """Fatigue fades (x `fade`) and trust drifts home (by `keep` of its gap to baseline), in place;
    then, as `members` and `exposure` for the customers, with the trust just drifted: returns
    (customers, prospects, exponent, tied, counts). `people` is (status, fatigue, trust, baseline,
    churned_followees)."""
    prospect, customer, _ = codes
    status, fatigue, trust, baseline, churned_followees = people
    na, npr = _count(status, codes)
    active, prospects = np.empty(na, dtype=np.int32), np.empty(npr, dtype=np.int32)
    exponent, tied, counts = np.empty(na), np.empty(na, dtype=np.int64), np.empty(na)
    na = npr = nt = 0
    for i in range(len(status)):
        fatigue[i] *= fade
        drift = baseline[i] - trust[i]
        drift *= keep
        trust[i] += drift
        if status[i] == customer:
            active[na] = i
            exponent[na] = _exponent(minus_elasticity, trust[i], baseline[i])
            # without a branch: in a long run about half the customers have a churned tie
            tied[nt], counts[nt] = na, churned_followees[i]
            nt += 1 if churned_followees[i] != 0 else 0
            na += 1
        elif status[i] == prospect:
            prospects[npr] = i
            npr += 1
    return active, prospects, exponent, tied[:nt], counts[:nt]


@compiled
def exposure(
    nodes: Ids, minus_elasticity: float, people: tuple[Floats, Floats, Floats]
) -> tuple[Floats, Int64s, Floats]:
    """For `nodes`: the churn hazard's exponent, and the positions and counts of those with a
    churned close tie (count not 0). `people` is (trust, baseline, churned_followees)."""
    trust, baseline, churned_followees = people
    n = len(nodes)
    exponent, tied, counts = np.empty(n), np.empty(n, dtype=np.int64), np.empty(n)
    nt = 0
    for k in range(n):
        i = nodes[k]
        exponent[k] = _exponent(minus_elasticity, trust[i], baseline[i])
        tied[nt], counts[nt] = k, churned_followees[i]
        nt += 1 if churned_followees[i] != 0 else 0
    return exponent, tied[:nt], counts[:nt]


@compiled
def hazards(
    nodes: Ids, growth: Floats, tied: Int64s, raised: Floats, per_day: tuple[Floats, Int16s]
) -> Floats:
    """Each node's segment hazard x `growth` (its exp), x `raised` (the contagion's power) at the
    `tied` positions. `per_day` is (hazard by segment, segment by person)."""
    by_segment, segment = per_day
    out = np.empty(len(nodes), dtype=np.float64)
    for k in range(len(nodes)):
        out[k] = by_segment[segment[nodes[k]]] * growth[k]
    for j in range(len(tied)):
        out[tied[j]] *= raised[j]
    return out


@compiled
def turnover(
    lists: tuple[Int32s, Int32s],
    hazard: Floats,
    pull: float,
    codes: Codes,
    people: tuple[Int8s, Floats, Floats, Floats, Floats, Bools],
    thresholds: tuple[Floats, Floats],
) -> tuple[Int32s, Int32s, Int32s, Int32s]:
    """Customers (`lists[0]`) accumulate `hazard` and churn past their threshold; prospects
    (`lists[1]`) accumulate `pull` and, unless deal-seekers, become customers past theirs, with
    trust at baseline. `people` is (status, trust, baseline, churn_cum, acq_cum, deal_seeker),
    changed in place; `thresholds` is (churn, acquisition). Returns (churned, acquired, customers,
    prospects), node ids ascending, the last two as they are after the changes. The two rules
    touch different people, so the newcomers are found first and merged into the customers who
    stay as the churn pass goes."""
    active, prospects = lists
    _, customer, churned_code = codes
    status, trust, baseline, churn_cum, acq_cum, deal_seeker = people
    churn_threshold, acquisition_threshold = thresholds
    acquired, still = np.empty(len(prospects), dtype=np.int32), np.empty(len(prospects), dtype=np.int32)
    na = nr = 0
    for k in range(len(prospects)):
        i = prospects[k]
        acq_cum[i] += pull
        if acq_cum[i] >= acquisition_threshold[i] and not deal_seeker[i]:
            status[i] = customer
            trust[i] = baseline[i]
            acquired[na] = i
            na += 1
        else:
            still[nr] = i
            nr += 1
    churned, now = np.empty(len(active), dtype=np.int32), np.empty(len(active) + na, dtype=np.int32)
    nc = nn = j = 0
    for k in range(len(active)):
        i = active[k]
        churn_cum[i] += hazard[k]
        if churn_cum[i] >= churn_threshold[i]:
            status[i] = churned_code
            churned[nc] = i
            nc += 1
            continue
        while j < na and acquired[j] < i:
            now[nn] = acquired[j]
            nn += 1
            j += 1
        now[nn] = i
        nn += 1
    now[nn : nn + na - j] = acquired[j:na]
    nn += na - j
    return churned[:nc].copy(), acquired[:na].copy(), now[:nn], still[:nr]


@compiled
def due(active: Int32s, billing_day: Int16s, day: int) -> Int64s:
    """The customers (`active`, ascending) billed on `day` of the billing cycle, ascending."""
    out = np.empty(len(active), dtype=np.int64)
    n = 0
    for k in range(len(active)):
        if billing_day[active[k]] == day:
            out[n] = active[k]
            n += 1
    return out[:n].copy()
