"""The verdict: who should own social media for this company, how sure that is, and at what cost.

Read from a run's summary alone (per-arm means and the paired differences on common random
numbers), so the terminal, the report and any script give the same answer. A difference counts
as *credible* when its paired 95% confidence interval excludes zero; anything less is reported
as inconclusive rather than as a winner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .outcomes import METRICS
from .segments import SEGMENT_METRICS

# Objectives tried in order when none is asked for: the first the summary carries is used.
DEFAULT_OBJECTIVES = ("incremental_profit", "roi")
# Tie-break when the objective does not separate the leaders.
SECONDARY_OBJECTIVE = "trust"
# The mechanisms that explain an outcome gap, reported as "what drives it".
DRIVERS = (
    "helped_rate",
    "response_rate",
    "median_first_response_minutes",
    "churn_rate",
    "positive_wom_reach",
    "negative_wom_reach",
    "acquisitions",
)
# How many trade-offs and drivers a verdict names, most important first.
MAX_TRADE_OFFS = 3
MAX_DRIVERS = 3


@dataclass(frozen=True)
class Difference:
    """Arm `a` minus arm `b` on one metric, per replication: mean, 95% CI, P(a better)."""

    metric: str
    a: str
    b: str
    mean: float
    ci95: tuple[float, float]
    p_a_better: float
    base: float  # b's mean, for relative figures

    @property
    def credible(self) -> bool:
        lo, hi = self.ci95
        return lo > 0 or hi < 0

    @property
    def favours_a(self) -> bool:
        """Whether `a` is credibly better than `b` in the metric's good direction."""
        higher = METRICS[self.metric][1]
        return self.credible and ((self.mean > 0) == higher)

    @property
    def relative(self) -> float | None:
        return self.mean / abs(self.base) if self.base else None


def difference(summary: Mapping[str, Any], metric: str, a: str, b: str) -> Difference:
    """The paired difference a − b, whichever order the summary stored the pair in."""
    for p in summary["paired"]:
        if p["metric"] != metric:
            continue
        base = summary["arms"][b][metric]["mean"]
        if (p["a"], p["b"]) == (a, b):
            return Difference(metric, a, b, p["mean_diff"], tuple(p["ci95"]), p["p_a_beats_b"], base)
        if (p["a"], p["b"]) == (b, a):
            lo, hi = p["ci95"]
            return Difference(metric, a, b, -p["mean_diff"], (-hi, -lo), 1.0 - p["p_a_beats_b"], base)
    raise KeyError(f"the summary has no paired difference of {metric} between {a} and {b}")


def ranked(summary: Mapping[str, Any], metric: str) -> list[str]:
    """Arms best first by mean (ties keep the scenario's arm order)."""
    higher = METRICS[metric][1]
    arms = list(summary["arms"])
    sign = -1.0 if higher else 1.0
    return sorted(arms, key=lambda arm: sign * summary["arms"][arm][metric]["mean"])


def credible_winner(summary: Mapping[str, Any], metric: str) -> str | None:
    """The arm credibly better than every other arm on `metric`, or None."""
    arms = list(summary["arms"])
    if len(arms) < 2:
        return None
    best = ranked(summary, metric)[0]
    if all(difference(summary, metric, best, other).favours_a for other in arms if other != best):
        return best
    return None


def _contenders(summary: Mapping[str, Any], metric: str) -> list[str]:
    """The best arm and every arm not credibly worse than it."""
    order = ranked(summary, metric)
    best = order[0]
    return [best] + [arm for arm in order[1:] if not difference(summary, metric, best, arm).favours_a]


@dataclass(frozen=True)
class Verdict:
    objective: str
    owner: str | None  # None: inconclusive
    decided_by: str | None  # the metric that separated the owner (objective or the tie-break)
    contenders: list[str]
    lift: Difference | None  # owner minus runner-up on the objective
    trade_offs: list[Difference]  # metrics where the owner is credibly worse, by how much
    drivers: list[Difference]  # mechanisms that differ most between owner and runner-up
    baseline_lift: Mapping[str, Any] | None  # owner against the no-social baseline, when the run has one


def objective_of(summary: Mapping[str, Any], objective: str | None = None) -> str:
    metrics = next(iter(summary["arms"].values()))
    if objective is not None:
        if objective not in metrics:
            raise KeyError(f"unknown objective {objective!r}; the summary's metrics: {', '.join(metrics)}")
        return objective
    return next(m for m in DEFAULT_OBJECTIVES if m in metrics)


def decide(summary: Mapping[str, Any], objective: str | None = None) -> Verdict:
    """The recommended owner for `objective`; trust decides among arms the objective cannot separate."""
    objective = objective_of(summary, objective)
    contenders = _contenders(summary, objective)
    owner, decided_by = (contenders[0], objective) if len(contenders) == 1 else (None, None)
    if owner is None and SECONDARY_OBJECTIVE in METRICS:
        among = {arm: summary["arms"][arm] for arm in contenders}
        tie_break = credible_winner({"arms": among, "paired": summary["paired"]}, SECONDARY_OBJECTIVE)
        if tie_break is not None:
            owner, decided_by = tie_break, SECONDARY_OBJECTIVE
    order = ranked(summary, objective)
    leader = owner or order[0]
    runner_up = next((arm for arm in order if arm != leader), None)
    lift = difference(summary, objective, leader, runner_up) if runner_up else None
    return Verdict(
        objective=objective,
        owner=owner,
        decided_by=decided_by,
        contenders=contenders,
        lift=lift,
        trade_offs=_trade_offs(summary, leader) if owner else [],
        drivers=_drivers(summary, leader, runner_up) if runner_up else [],
        baseline_lift=_baseline(summary, leader, objective),
    )


def _trade_offs(summary: Mapping[str, Any], owner: str) -> list[Difference]:
    """Metrics on which some other arm is credibly better than the owner: the worst gap per metric."""
    worst: dict[str, Difference] = {}
    for metric in METRICS:
        for other in summary["arms"]:
            if other == owner:
                continue
            d = difference(summary, metric, other, owner)
            if d.favours_a and (
                metric not in worst or abs(d.relative or 0) > abs(worst[metric].relative or 0)
            ):
                worst[metric] = d
    return sorted(worst.values(), key=lambda d: -abs(d.relative or 0))[:MAX_TRADE_OFFS]


def _drivers(summary: Mapping[str, Any], owner: str, runner_up: str) -> list[Difference]:
    found = [difference(summary, m, owner, runner_up) for m in DRIVERS if m in METRICS]
    credible = [d for d in found if d.credible and d.relative is not None]
    return sorted(credible, key=lambda d: -abs(d.relative or 0))[:MAX_DRIVERS]


def _baseline(summary: Mapping[str, Any], owner: str, objective: str) -> Mapping[str, Any] | None:
    """The owner's incremental figure against doing nothing on social, when the run measured one."""
    baseline = summary.get("baseline")
    incremental = summary["arms"][owner].get(objective)
    if not baseline or incremental is None or not objective.startswith("incremental_"):
        return None
    return {"baseline": baseline.get("name", "no-social"), **incremental}


LABELS = {
    "revenue": "revenue",
    "clv": "customer lifetime value",
    "cost": "cost",
    "roi": "ROI",
    "trust": "trust",
    "helped_rate": "share of people helped",
    "nps": "NPS",
    "churn_rate": "churn",
    "response_rate": "response rate",
    "median_first_response_minutes": "median first response",
    "positive_wom_reach": "positive word-of-mouth reach",
    "negative_wom_reach": "negative word-of-mouth reach",
    "acquisitions": "acquisitions",
    "incremental_revenue": "incremental revenue",
    "incremental_clv": "incremental lifetime value",
    "incremental_profit": "incremental profit",
    "monthly_revenue": "recurring revenue per month at the end",
    "churned": "customers lost",
    "active_customers": "customers at the end",
}


def amount(metric: str, value: float, currency: str) -> str:
    """A metric's value in its unit: money with the scenario's currency, fractions as percentages."""
    unit = METRICS.get(metric, SEGMENT_METRICS.get(metric, ("", True)))[0]
    if unit == "$":
        return f"{value:,.0f} {currency}"
    if unit == "fraction":
        return f"{value:.1%}"
    if unit == "minutes":
        return f"{value:,.1f} min"
    if unit == "people":
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.1%}"


def _gap(d: Difference) -> str:
    """'+12.0% [+8.1%, +15.9%], P(better) 0.99' — relative to b where b's mean is not zero."""
    if not d.base:
        return f"{d.mean:+,.3g} [{d.ci95[0]:+,.3g}, {d.ci95[1]:+,.3g}]"
    lo, hi = (x / abs(d.base) for x in d.ci95)
    return f"{_pct(d.relative)} [{_pct(lo)}, {_pct(hi)}]"


def describe(v: Verdict, summary: Mapping[str, Any], currency: str) -> str:
    """The verdict as a paragraph that starts "Verdict:" (terminal and report print the same text)."""
    name = LABELS.get(v.objective, v.objective)
    if v.owner is None:
        arms = ", ".join(v.contenders)
        gap = f" (leader over runner-up {_gap(v.lift)}, P(better) {v.lift.p_a_better:.2f})" if v.lift else ""
        return (
            f"Verdict: inconclusive. On {name}, {arms} are not separated by this run{gap}, "
            "and trust does not separate them either. More replications, or an experiment over the "
            "uncertain assumptions (socialsim explore), would tell them apart."
        )
    mean = summary["arms"][v.owner][v.objective]["mean"]
    lead = amount(v.objective, mean, currency)
    parts = [f"Verdict: {v.owner} should own social media. It leads on {name} ({lead})"]
    if v.lift is not None:
        parts[0] += f", {_gap(v.lift)} over {v.lift.b}, P(better) {v.lift.p_a_better:.2f}"
    if v.decided_by != v.objective:
        others = ", ".join(a for a in v.contenders if a != v.owner)
        parts[0] += f"; {name} does not separate it from {others}, trust does"
    parts[0] += "."
    if v.baseline_lift:
        b = v.baseline_lift
        lo, hi = (amount(v.objective, x, currency) for x in b["ci95"])
        parts.append(f"Against {b['baseline']}: {amount(v.objective, b['mean'], currency)} [{lo}, {hi}].")
    if v.trade_offs:
        worse = "; ".join(f"{LABELS.get(d.metric, d.metric)} ({d.a} {_gap(d)})" for d in v.trade_offs)
        parts.append(f"Trade-offs, where another arm is credibly better: {worse}.")
    else:
        parts.append("No other arm is credibly better on any metric.")
    if v.drivers:
        drivers = "; ".join(f"{LABELS.get(d.metric, d.metric)} {_gap(d)}" for d in v.drivers)
        parts.append(f"What drives it, against {v.drivers[0].b}: {drivers}.")
    return " ".join(parts)
