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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .arrays import Floats, Ids, Int8s, Int64s
from .audience import Audience
from .customers import CUSTOMER, Customers

Uniforms = Callable[[Ids], Floats]  # a person's uniform on one counter stream, by node id


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
    u_reach: Uniforms,
    u_buy: Uniforms,
    discount: float,
) -> BroadcastOutcome:
    """Apply one broadcast. `u_reach(ids)`, `u_buy(ids)` give each person's uniforms; they are
    asked only for people who could be reached or could buy, so a broadcast costs what its
    audience does."""
    r = c.r
    w = weight_by_segment[c.pop.segment]
    uplift = r.offer_uplift if offer else 1.0
    price = 1.0 - discount if offer else 1.0
    followers = np.flatnonzero(
        (c.status == CUSTOMER) & aud.follows & ~aud.held_out & (c.fatigue < r.tune_out_fatigue)
    )
    p_reach = np.full(len(followers), aud.organic_share())  # organic: targeting is for paid reach
    u = u_reach(followers)
    hit = u < p_reach
    reached = followers[hit]
    u_after = u[hit] / p_reach[hit]  # given reach, a fresh uniform: does the follower unfollow?
    p_buy = (
        r.broadcast_conversion
        * w[reached]
        * c.promotion[reached]
        * uplift
        * np.exp(-c.fatigue[reached] / r.tune_out_fatigue)
    )
    buyers = reached[u_buy(reached) < p_buy]
    c.fatigue[reached] += 1.0
    aud.seen[reached] += 1.0
    promo = r.unfollow_per_promotion * c.fatigue[reached] if offer else np.zeros(len(reached))
    unfollowers, reasons = aud.unfollow(
        reached,
        u_after,
        [
            promo,
            r.unfollow_per_post * aud.seen[reached],
            r.unfollow_irrelevance * np.maximum(0.0, 1.0 - c.promotion[reached] * w[reached]),
            np.zeros(len(reached)),
        ],
    )
    newcomers, lapsing, paid = _paid(c, aud, w, uplift, u_reach, u_buy, offer)
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


def _paid(
    c: Customers, aud: Audience, w: Floats, uplift: float, u_reach: Uniforms, u_buy: Uniforms, offer: bool
) -> tuple[Int64s, Int64s, int]:
    """Paid promotion to prospects. Returns (newcomers, newcomers who will lapse, prospects reached)."""
    r = c.r
    prospects = c.prospects()
    prospects = prospects[~aud.held_out[prospects]]
    p_reach = r.campaign_prospect_reach * w[prospects]
    reached = prospects[u_reach(prospects) < p_reach]
    p_buy = r.broadcast_conversion * c.promotion[reached] * uplift
    u = u_buy(reached)
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
