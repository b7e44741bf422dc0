"""The outcome metrics of one arm in one replication, from its end state and its record.

Formulas (all money in the scenario's currency):

* revenue  = sum of purchases in the horizon (recurring bills, conversation and pitch purchases,
             campaign and offer purchases) [$]
* clv      = sum over customers active at the end of 12 * m_i * s_i * g / (h_i + d) [$], with
             m_i monthly spend, s_i the trust spend multiplier, g gross margin, h_i the customer's
             churn hazard at end-of-horizon trust [1/year], d the annual discount rate: the
             discounted margin of a customer whose spend and hazard stay as they end.
* cost     = sum over departments of staff hours/day * days * hourly cost + broadcasts * cost each [$]
* incremental_revenue = revenue - the no-social baseline's revenue, same replication [$]
* incremental_clv     = clv - the baseline's clv, same replication [$]
* incremental_profit  = g * incremental_revenue + incremental_clv - cost [$]: what running social
             media this way earns over not running it at all, after paying for it
* roi      = incremental_profit / cost [1] (0 when nothing was spent): return on the money spent,
             against doing nothing. The baseline (`services/baseline.py`) answers and broadcasts
             nothing, on the same random numbers, and costs nothing.
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
    "incremental_revenue": ("$", True),
    "incremental_clv": ("$", True),
    "incremental_profit": ("$", True),
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
# Metrics read against the baseline: the baseline's own summary leaves them out.
INCREMENTAL = ("incremental_revenue", "incremental_clv", "incremental_profit", "roi")


def cost(world: World, strategy: Strategy, state: ArmState, days: float) -> float:
    """Staff for `days` days plus the broadcasts sent so far [$]."""
    econ = world.economics
    staff = sum(
        h * days * econ.staff_cost_dollars_per_hour.get(d, 0.0)
        for d, h in strategy.staff_hours_per_day.items()
    )
    return staff + state.record.broadcasts * econ.broadcast_cost_dollars


def incremental(world: World, arm: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    """An arm's figures against the baseline's in the same replication: `INCREMENTAL`, by name."""
    revenue = arm["revenue"] - baseline["revenue"]
    clv_dollars = arm["clv"] - baseline["clv"]
    profit = world.economics.gross_margin * revenue + clv_dollars - arm["cost"]
    return {
        "incremental_revenue": revenue,
        "incremental_clv": clv_dollars,
        "incremental_profit": profit,
        "roi": profit / arm["cost"] if arm["cost"] > 0 else 0.0,
    }


def absolute(world: World, state: ArmState, spent: float, wait_minutes: float) -> dict[str, float]:
    """The figures an arm has on its own, in `METRICS` order; `wait_minutes` is how long a post
    waited before its customer gave up, reported as the median first response when nothing was
    answered (rather than a flattering 0)."""
    rec = state.record
    return {
        "revenue": rec.revenue_dollars,
        "clv": state.clv_dollars,
        "cost": spent,
        "trust": state.trust,
        "helped_rate": rec.helped / rec.help_seeking if rec.help_seeking else 0.0,
        "nps": state.nps,
        "churn_rate": rec.churned / (state.initial_customers + rec.acquisitions),
        "response_rate": rec.answered / rec.conversations if rec.conversations else 0.0,
        "median_first_response_minutes": (
            float(np.median(rec.first_response_minutes)) if rec.first_response_minutes else wait_minutes
        ),
        "positive_wom_reach": float(rec.positive_wom_reach),
        "negative_wom_reach": float(rec.negative_wom_reach),
        "acquisitions": float(rec.acquisitions),
    }


def outcomes(
    world: World, strategy: Strategy, state: ArmState, baseline: dict[str, float]
) -> dict[str, float]:
    """Every metric of an arm, in `METRICS` order, given the baseline's `absolute` figures."""
    own = absolute(
        world,
        state,
        cost(world, strategy, state, world.horizon.days),
        strategy.max_wait_hours * MINUTES_PER_HOUR,
    )
    against = incremental(world, own, baseline)
    return {m: own[m] if m in own else against[m] for m in METRICS}
