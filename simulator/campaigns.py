"""A broadcast: an organic post to the brand's followers, and paid promotion to prospects.

Organic reach is a share of the account's followers (`Audience.organic_share`), whatever the
targeting: a page post goes to its followers' feeds. Targeting weights how much the post speaks
to each segment (its response, and whether it seems irrelevant) and whom paid promotion
reaches: `campaign_prospect_reach` of each targeted segment's prospects. Every person reached
responds per exposure: a customer buys, a prospect buys for the first time and becomes a
customer. A newcomer brought by an offer is a deal-seeker who stays with
`deal_newcomer_return`; the others lapse back to prospects at the end of the day.

Each person has two uniforms per broadcast (reach, buy). A uniform that fell under a chance
`p` is, divided by `p`, a fresh uniform independent of that outcome; that is how a reached
follower's unfollowing and a buying prospect's return are drawn without new streams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import Bools, Floats, Int8s, Int16s, Int32s, Int64s
from .audience import Audience
from .customers import CUSTOMER, Customers
from .jit import compiled
from .rng import uniform_of, uniforms


@dataclass
class BroadcastOutcome:
    buyers: Int64s  # customers who bought
    dollars: Floats  # what each buyer paid
    reached: int  # brand followers the organic post reached [people]
    paid_reached: int  # prospects the paid promotion reached [people]
    newcomers: Int64s  # prospects who bought and became customers
    newcomer_dollars: Floats
    lapsing: Int64s  # newcomers by an offer who will not come back without one
    unfollowers: Int64s
    reasons: Int8s  # index into audience.UNFOLLOW_REASONS


def broadcast(
    c: Customers,
    aud: Audience,
    weight_by_segment: Floats,
    offer: bool,
    keys: tuple[np.uint64, np.uint64],
    discount: float,
) -> BroadcastOutcome:
    """Apply one broadcast. `keys` are the salted keys (`rng.Counter.salted_key`) of its two draws,
    reach and buy: a person's uniform is drawn only if they could be reached or could buy, so a
    broadcast costs what its audience does. Who is reached is found in one compiled pass over
    people (a broadcast is rare, but it reads everyone: a dozen numpy passes cost more than the
    rest of it); the exponential of fatigue stays in numpy (its last bits are numpy's)."""
    r = c.r
    reach_key, buy_key = keys
    uplift = r.offer_uplift if offer else 1.0
    price = 1.0 - discount if offer else 1.0
    reached, u_after = _organic(
        (c.status, aud.follows, aud.held_out, c.fatigue), r.tune_out_fatigue, aud.organic_share(), reach_key
    )
    w = weight_by_segment[c.pop.segment[reached]]
    p_buy = (
        r.broadcast_conversion
        * w
        * c.promotion[reached]
        * uplift
        * np.exp(-c.fatigue[reached] / r.tune_out_fatigue)
    )
    buyers = reached[uniforms(buy_key, reached) < p_buy]
    c.fatigue[reached] += 1.0
    aud.seen[reached] += 1.0
    promo = r.unfollow_per_promotion * c.fatigue[reached] if offer else np.zeros(len(reached))
    unfollowers, reasons = aud.unfollow(
        reached,
        u_after,
        [
            promo,
            r.unfollow_per_post * aud.seen[reached],
            r.unfollow_irrelevance * np.maximum(0.0, 1.0 - c.promotion[reached] * w),
            np.zeros(len(reached)),
        ],
    )
    newcomers, lapsing, paid = _paid(c, aud, weight_by_segment, uplift, keys, offer)
    return BroadcastOutcome(
        buyers=buyers.astype(np.int64),
        dollars=c.purchase_value[buyers] * price,
        reached=len(reached),
        paid_reached=paid,
        newcomers=newcomers,
        newcomer_dollars=c.purchase_value[newcomers] * price,
        lapsing=lapsing,
        unfollowers=unfollowers,
        reasons=reasons,
    )


@compiled
def _organic(
    people: tuple[Int8s, Bools, Bools, Floats], tune_out: float, share: float, reach_key: np.uint64
) -> tuple[Int64s, Floats]:
    """Followers the organic post reaches (ascending): customers who follow, are not held out and
    have not tuned out (fatigue under `tune_out`), each with chance `share`. Returns them and each
    one's uniform divided by `share`: given reach, a fresh uniform (does the follower unfollow?)."""
    status, follows, held_out, fatigue = people
    reached = np.empty(len(status), dtype=np.int64)
    u_after = np.empty(len(status), dtype=np.float64)
    n = 0
    for i in range(len(status)):
        if status[i] == CUSTOMER and follows[i] and not held_out[i] and fatigue[i] < tune_out:
            u = uniform_of(reach_key, i)
            if u < share:
                reached[n] = i
                u_after[n] = u / share
                n += 1
    return reached[:n], u_after[:n]


@compiled
def _prospects_reached(
    prospects: Int32s, held_out: Bools, segment: Int16s, reach_by_segment: Floats, reach_key: np.uint64
) -> Int32s:
    """Prospects not held out whose reach uniform falls under their segment's reach (ascending)."""
    reached = np.empty(len(prospects), dtype=np.int32)
    n = 0
    for p in prospects:
        if not held_out[p] and uniform_of(reach_key, p) < reach_by_segment[segment[p]]:
            reached[n] = p
            n += 1
    return reached[:n]


def _paid(
    c: Customers,
    aud: Audience,
    weight_by_segment: Floats,
    uplift: float,
    keys: tuple[np.uint64, np.uint64],
    offer: bool,
) -> tuple[Int64s, Int64s, int]:
    """Paid promotion to prospects: `campaign_prospect_reach` of each segment's weight. Returns
    (newcomers, newcomers who will lapse, prospects reached)."""
    r = c.r
    reach_key, buy_key = keys
    reach_by_segment = r.campaign_prospect_reach * weight_by_segment
    reached = _prospects_reached(c.prospects(), aud.held_out, c.pop.segment, reach_by_segment, reach_key)
    p_buy = r.broadcast_conversion * c.promotion[reached] * uplift
    u = uniforms(buy_key, reached)
    bought = u < p_buy
    c.acq_cum[reached[~bought]] += r.campaign_acquisition_hazard * c.promotion[reached[~bought]]
    newcomers = reached[bought].astype(np.int64)
    if offer:  # given a purchase, a fresh uniform: does the deal-seeker come back?
        stays = u[bought] / p_buy[bought] < r.deal_newcomer_return
    else:
        stays = np.ones(len(newcomers), dtype=bool)
    c.welcome(newcomers)
    lapsing = newcomers[~stays]
    c.lapse_tonight(lapsing)
    return newcomers, lapsing, len(reached)
