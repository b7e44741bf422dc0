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
"""

from __future__ import annotations

import numpy as np

from .arrays import Bools, Floats, Ids, Int8s, Int16s, Int32s, Int64s
from .jit import compiled

Codes = tuple[int, int, int]  # (prospect, customer, churned) status codes


@compiled
def members(status: Int8s, codes: Codes) -> tuple[Int32s, Int32s]:
    """(customers, prospects): node ids of each status, ascending, in one pass."""
    prospect, customer, _ = codes
    n = len(status)
    active, prospects = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    na = npr = 0
    for i in range(n):
        if status[i] == customer:
            active[na] = i
            na += 1
        elif status[i] == prospect:
            prospects[npr] = i
            npr += 1
    return active[:na].copy(), prospects[:npr].copy()


@compiled
def settle(fade: float, keep: float, people: tuple[Floats, Floats, Floats]) -> None:
    """Fatigue fades (x `fade`), trust drifts home (by `keep` of its gap to baseline), in place;
    `people` is (fatigue, trust, baseline)."""
    fatigue, trust, baseline = people
    for i in range(len(trust)):
        fatigue[i] *= fade
        drift = baseline[i] - trust[i]
        drift *= keep
        trust[i] += drift


@compiled
def exposure(
    nodes: Ids, minus_elasticity: float, people: tuple[Floats, Floats, Floats]
) -> tuple[Floats, Int64s, Floats]:
    """For `nodes`: the churn hazard's exponent -elasticity x (trust - baseline), and the positions
    and counts of those with a churned close tie (count not 0). `people` is (trust, baseline,
    churned_followees)."""
    trust, baseline, churned_followees = people
    n = len(nodes)
    exponent = np.empty(n, dtype=np.float64)
    tied, counts = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float64)
    nt = 0
    for k in range(n):
        i = nodes[k]
        exponent[k] = minus_elasticity * (trust[i] - baseline[i])
        if churned_followees[i] != 0:
            tied[nt] = k
            counts[nt] = churned_followees[i]
            nt += 1
    return exponent, tied[:nt].copy(), counts[:nt].copy()


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
    prospects), node ids ascending, the last two as they are after the changes."""
    active, prospects = lists
    _, customer, churned_code = codes
    status, trust, baseline, churn_cum, acq_cum, deal_seeker = people
    churn_threshold, acquisition_threshold = thresholds
    churned, stay = np.empty(len(active), dtype=np.int32), np.empty(len(active), dtype=np.int32)
    nc = ns = 0
    for k in range(len(active)):
        i = active[k]
        churn_cum[i] += hazard[k]
        if churn_cum[i] >= churn_threshold[i]:
            status[i] = churned_code
            churned[nc] = i
            nc += 1
        else:
            stay[ns] = i
            ns += 1
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
    return churned[:nc].copy(), acquired[:na].copy(), _merged(stay[:ns], acquired[:na]), still[:nr].copy()


@compiled
def _merged(a: Int32s, b: Int32s) -> Int32s:
    """The union of two ascending, disjoint lists, ascending."""
    out = np.empty(len(a) + len(b), dtype=np.int32)
    i = j = 0
    for k in range(len(out)):
        if j == len(b) or (i < len(a) and a[i] < b[j]):
            out[k] = a[i]
            i += 1
        else:
            out[k] = b[j]
            j += 1
    return out


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
