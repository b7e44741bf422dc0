"""The facts as a terminal table: one row per measure, the fact's id and source on its first."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from .suite import FactResult

COLUMNS = (
    ("fact", "left"),
    ("source", "left"),
    ("measure", "left"),
    ("published", "right"),
    ("simulated [95% CI]", "right"),
    ("band", "right"),
    ("", "left"),
)


def facts_table(results: list[FactResult]) -> Table:
    table = Table(title="published facts: simulated mean and 95% CI over replications")
    for column, justify in COLUMNS:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in results:
        for k, m in enumerate(r.measures):
            low, high = m.measure.band
            cells = (
                r.fact.id if k == 0 else "",
                r.fact.source if k == 0 else "",
                f"{m.measure.name} [{m.measure.unit}]",
                "" if m.measure.published is None else f"{m.measure.published:.3g}",
                f"{m.mean:.3g} [{m.ci95[0]:.3g}, {m.ci95[1]:.3g}]",
                f"{low:.3g} .. {high:.3g}" + (" (whole CI)" if m.measure.rule == "ci" else ""),
                "pass" if m.passed else "FAIL",
            )
            table.add_row(*(escape(c) for c in cells))
    return table
