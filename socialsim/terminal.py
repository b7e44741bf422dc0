"""The comparison as a terminal table (rich), from a run's summary."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from .comparison import Summary
from .outcomes import METRICS
from .stats import winner


def compact(x: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def comparison_table(summary: Summary) -> Table:
    """One row per metric, one column per arm: mean ± CI half-width, and the best arm."""
    arms = list(summary["arms"])
    table = Table(
        title=f"{summary['scenario']}: mean ± 95% CI half-width over {summary['replications']} replications"
    )
    table.add_column("metric")
    for arm in arms:
        table.add_column(arm, justify="right")
    table.add_column("winner")
    for metric, (unit, higher) in METRICS.items():
        cells = []
        for arm in arms:
            m = summary["arms"][arm][metric]
            cells.append(f"{compact(m['mean'])} ±{compact((m['ci95'][1] - m['ci95'][0]) / 2)}")
        table.add_row(
            escape(f"{metric} [{unit}] {'↑' if higher else '↓'}"),
            *cells,
            winner(summary["arms"], metric, higher),
        )
    return table
