"""The comparison as a terminal table (rich), from a run's summary: one row per metric, one
column per arm, and a winner only where the paired evidence is credible. Sized to fit 100
columns: short labels, compact numbers, the currency once in the title."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.markup import escape
from rich.table import Table

from .outcomes import METRICS
from .verdict import credible_winner

# An arm column's usual width [columns]: longer names break after their last hyphen
ARM_COLUMN = 13

SHORT = {
    "revenue": "revenue",
    "clv": "lifetime value",
    "cost": "cost",
    "incremental_revenue": "Δ revenue",
    "incremental_clv": "Δ lifetime value",
    "incremental_profit": "Δ profit",
    "roi": "ROI",
    "trust": "trust",
    "helped_rate": "helped",
    "nps": "NPS",
    "churn_rate": "churn",
    "response_rate": "answered",
    "median_first_response_minutes": "1st reply min",
    "positive_wom_reach": "+ word of mouth",
    "negative_wom_reach": "− word of mouth",
    "acquisitions": "acquisitions",
}


def compact(x: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def cell(metric: str, mean: float, half: float) -> str:
    """Mean ± CI half-width; fractions as percentages, and no '±0' where replications agree exactly."""
    unit = METRICS[metric][0]
    if unit == "fraction":
        text, spread = f"{mean:.1%}", f"{half:.1%}"
    elif unit == "0..1":
        text, spread = f"{mean:.3f}", f"{half:.3f}"
    else:
        text, spread = compact(mean), compact(half)
    return text if half == 0 else f"{text} ±{spread}"


def comparison_table(summary: Mapping[str, Any], currency: str, width: int) -> Table:
    """The comparison as one table `width` columns wide: every metric by arm, and its credible winner."""
    arms = list(summary["arms"])
    title = f"{summary['scenario']}: mean ± 95% CI over {summary['replications']} replications"
    table = Table(title=f"{title} (money in {currency})", width=width)
    table.add_column("metric", no_wrap=True)
    for arm in arms:  # a long arm name breaks after its last hyphen rather than being cut
        cut = arm.rfind("-") + 1
        header = arm if len(arm) <= ARM_COLUMN or not cut else f"{arm[:cut]}\n{arm[cut:]}"
        table.add_column(header, justify="right")
    table.add_column("winner")
    for metric, (_, higher) in METRICS.items():
        cells = []
        for arm in arms:
            m = summary["arms"][arm][metric]
            cells.append(cell(metric, m["mean"], (m["ci95"][1] - m["ci95"][0]) / 2))
        table.add_row(
            escape(f"{SHORT.get(metric, metric)} {'↑' if higher else '↓'}"),
            *cells,
            credible_winner(summary, metric) or "—",
        )
    base = summary["baseline"]["name"]
    table.caption = (
        f"Δ and ROI: against {base} (the brand neither answers nor broadcasts), same replications. "
        "winner: credibly best against every other arm (paired 95% CI excludes zero); — otherwise"
    )
    return table
