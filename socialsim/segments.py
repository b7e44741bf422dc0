"""Outcomes by segment: each arm's (and the baseline's) figures per customer segment, per
replication, summarised like every other figure (mean and 95% CI over replications).

A scenario's story is usually about segments (premium customers who leave when ignored, deal
seekers who come for offers), so the report breaks the arm totals down by them. The figures come
from each arm's end state (`ArmState.segments`), not from events.parquet, so `--no-events` runs
have them too. Money by segment is both what the segment's customers spent over the run (bills and
purchases) and the recurring revenue they bring in a month at the end of the horizon.
"""

from __future__ import annotations

from typing import TypedDict

from simulator.measures import ArmState, SegmentState

from .stats import MetricStats, PairedDiff, summarise

SEGMENT_METRICS: dict[str, tuple[str, bool]] = {
    # name: (unit, higher is better), as in `outcomes.METRICS`
    "revenue": ("$", True),
    "monthly_revenue": ("$", True),
    "trust": ("0..1", True),
    "nps": ("score", True),
    "churn_rate": ("fraction", False),
    "churned": ("people", False),
    "active_customers": ("people", True),
}

# who -> segment -> metric -> one value per replication, in replication order
PerSegment = dict[str, dict[str, dict[str, list[float]]]]


class SegmentDiff(PairedDiff):
    """Arm `a` minus the baseline `b` in one segment, paired by replication."""

    segment: str


class SegmentStats(TypedDict):
    """summary.json's `segments`: arm (or the baseline, by its name) -> segment -> metric -> stats,
    and each arm minus the baseline per segment and metric, paired by replication."""

    segments: list[str]
    by_arm: dict[str, dict[str, dict[str, MetricStats]]]
    against_baseline: list[SegmentDiff]


def segment_outcomes(segment: SegmentState) -> dict[str, float]:
    """One segment's figures, in `SEGMENT_METRICS` order; churn rate as the arm's:
    churned / (customers at the start + acquisitions), 0 for a segment that never had a customer."""
    ever = segment.initial_customers + segment.acquisitions
    return {
        "revenue": segment.revenue_dollars,
        "monthly_revenue": segment.monthly_revenue_dollars,
        "trust": segment.trust,
        "nps": segment.nps,
        "churn_rate": segment.churned / ever if ever else 0.0,
        "churned": float(segment.churned),
        "active_customers": float(segment.active_customers),
    }


def record_segments(per_segment: PerSegment, who: str, state: ArmState) -> None:
    """Append one replication's figures of `who` (an arm or the baseline)."""
    mine = per_segment.setdefault(who, {})
    for segment in state.segments:
        values = mine.setdefault(segment.name, {m: [] for m in SEGMENT_METRICS})
        for metric, value in segment_outcomes(segment).items():
            values[metric].append(value)


def summarise_segments(per_segment: PerSegment, arms: list[str], baseline: str) -> SegmentStats:
    """Mean and 95% CI over replications of every figure of `arms` and `baseline`, and each arm
    minus the baseline paired by replication, with the statistics of `stats` (empty without figures)."""
    if baseline not in per_segment:
        return {"segments": [], "by_arm": {}, "against_baseline": []}
    names = list(per_segment[baseline])
    directions = {m: higher for m, (_, higher) in SEGMENT_METRICS.items()}
    return {
        "segments": names,
        "by_arm": {who: summarise(per_segment[who], {})[0] for who in [*arms, baseline]},
        "against_baseline": [
            {"segment": name, **diff}
            for arm in arms
            for name in names
            for diff in summarise(
                {arm: per_segment[arm][name], baseline: per_segment[baseline][name]}, directions
            )[1]
        ],
    }
