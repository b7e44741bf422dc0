"""The outcome metrics of one arm in one replication, from its end state and its record.

Formulas (all money in the scenario's currency):

* revenue  = sum of purchases in the horizon (recurring bills, conversation and pitch purchases,
             campaign and offer purchases) [$]
* clv      = sum over customers active at the end of 12 * m_i * s_i * g / (h_i + d) [$], with
             m_i monthly spend, s_i the trust spend multiplier, g gross margin, h_i the customer's
             churn hazard at end-of-horizon trust [1/year], d the annual discount rate: the
             discounted margin of a customer whose spend and hazard stay as they end.
* cost     = sum over departments of staff hours/day * days * hourly cost + broadcasts * cost each [$]
* roi      = (g * revenue + clv - cost) / cost [1]
* trust    = mean trust of customers active at the end [0..1]
* helped_rate = helped / help-seeking conversations (question, complaint, purchase intent) [fraction]
* nps      = 100 * (promoters - detractors) / active customers, by trust thresholds [-100..100]
* churn_rate = churned / (initial customers + acquisitions) [fraction]
* response_rate = answered / conversations [fraction]
* median_first_response_minutes = median delay of answered conversations [minutes]
* positive_wom_reach, negative_wom_reach = followers reached by posts praising / criticising [people]
* acquisitions = prospects who became customers [people]
"""

from __future__ import annotations

import numpy as np

from simulator.customers import CUSTOMER
from simulator.world import ArmWorld
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.world import World

METRICS: dict[str, tuple[str, bool]] = {
    # name: (unit, higher is better)
    "revenue": ("$", True),
    "clv": ("$", True),
    "cost": ("$", False),
    "roi": ("ratio", True),
    "trust": ("0..1", True),
    "helped_rate": ("fraction", True),
    "nps": ("score", True),
    "churn_rate": ("fraction", False),
    "response_rate": ("fraction", True),
    "median_first_response_minutes": ("minutes", False),
    "positive_wom_reach": ("people", True),
    "negative_wom_reach": ("people", False),
    "acquisitions": ("people", True),
}


def clv(world: World, arm: ArmWorld) -> float:
    c, econ = arm.customers, world.economics
    active = np.flatnonzero(c.status == CUSTOMER)
    hazard_per_year = c.churn_hazard_per_day(active) * 365.0
    monthly = c.pop.monthly_spend[active] * c.spend_multiplier(active)
    return float(np.sum(12.0 * monthly * econ.gross_margin / (hazard_per_year + econ.annual_discount_rate + 1e-12)))


def cost(world: World, strategy: Strategy, arm: ArmWorld, days: float) -> float:
    """Staff for `days` days plus the broadcasts sent so far [$]."""
    econ = world.economics
    staff = sum(h * days * econ.staff_cost_dollars_per_hour.get(d, 0.0) for d, h in strategy.staff_hours_per_day.items())
    return staff + arm.rec.broadcasts * econ.broadcast_cost_dollars


def trust_and_nps(world: World, arm: ArmWorld) -> tuple[float, float]:
    """Mean trust of active customers [0..1] and their NPS by trust thresholds [-100..100]."""
    c, r = arm.customers, world.reactions
    trust = c.trust[c.status == CUSTOMER]
    if not len(trust):
        return 0.0, 0.0
    promoters, detractors = int((trust >= r.promoter_trust).sum()), int((trust < r.detractor_trust).sum())
    return float(trust.mean()), 100.0 * (promoters - detractors) / len(trust)


def roi(world: World, revenue: float, clv_dollars: float, cost_dollars: float) -> float:
    return (world.economics.gross_margin * revenue + clv_dollars - cost_dollars) / cost_dollars if cost_dollars > 0 else 0.0


def outcomes(world: World, strategy: Strategy, arm: ArmWorld) -> dict[str, float]:
    rec, c = arm.rec, arm.customers
    value = clv(world, arm)
    spent = cost(world, strategy, arm, world.horizon.days)
    trust, nps = trust_and_nps(world, arm)
    initial = int(c.pop.is_customer.sum())
    return {
        "revenue": rec.revenue_dollars,
        "clv": value,
        "cost": spent,
        "roi": roi(world, rec.revenue_dollars, value, spent),
        "trust": trust,
        "helped_rate": rec.helped / rec.help_seeking if rec.help_seeking else 0.0,
        "nps": nps,
        "churn_rate": rec.churned / (initial + rec.acquisitions),
        "response_rate": rec.answered / rec.conversations if rec.conversations else 0.0,
        # with nothing answered, report the full wait before customers gave up rather than a flattering 0
        "median_first_response_minutes": (float(np.median(rec.first_response_minutes)) if rec.first_response_minutes
                                          else strategy.max_wait_hours * 60.0),
        "positive_wom_reach": float(rec.positive_wom_reach),
        "negative_wom_reach": float(rec.negative_wom_reach),
        "acquisitions": float(rec.acquisitions),
    }
