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

from simulator.measures import ArmState
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.timeunits import MINUTES_PER_HOUR
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


def cost(world: World, strategy: Strategy, state: ArmState, days: float) -> float:
    """Staff for `days` days plus the broadcasts sent so far [$]."""
    econ = world.economics
    staff = sum(
        h * days * econ.staff_cost_dollars_per_hour.get(d, 0.0)
        for d, h in strategy.staff_hours_per_day.items()
    )
    return staff + state.record.broadcasts * econ.broadcast_cost_dollars


def roi(world: World, revenue: float, clv_dollars: float, cost_dollars: float) -> float:
    return (
        (world.economics.gross_margin * revenue + clv_dollars - cost_dollars) / cost_dollars
        if cost_dollars > 0
        else 0.0
    )


def outcomes(world: World, strategy: Strategy, state: ArmState) -> dict[str, float]:
    rec = state.record
    spent = cost(world, strategy, state, world.horizon.days)
    return {
        "revenue": rec.revenue_dollars,
        "clv": state.clv_dollars,
        "cost": spent,
        "roi": roi(world, rec.revenue_dollars, state.clv_dollars, spent),
        "trust": state.trust,
        "helped_rate": rec.helped / rec.help_seeking if rec.help_seeking else 0.0,
        "nps": state.nps,
        "churn_rate": rec.churned / (state.initial_customers + rec.acquisitions),
        "response_rate": rec.answered / rec.conversations if rec.conversations else 0.0,
        # with nothing answered, report the full wait before customers gave up rather than a flattering 0
        "median_first_response_minutes": (
            float(np.median(rec.first_response_minutes))
            if rec.first_response_minutes
            else strategy.max_wait_hours * MINUTES_PER_HOUR
        ),
        "positive_wom_reach": float(rec.positive_wom_reach),
        "negative_wom_reach": float(rec.negative_wom_reach),
        "acquisitions": float(rec.acquisitions),
    }
