"""Arm colours, one per arm name, shared by the report's charts and the Grafana dashboards so an
arm looks the same wherever a strategist meets it."""

from __future__ import annotations

ARM_COLOURS = {
    "marketing-led": "#d62728",
    "comms-led": "#1f77b4",
    "support-led": "#2ca02c",
    "captain-and-crew": "#9467bd",
    "no-social": "#7f7f7f",
}
# Arms without a colour of their own take these in turn, in the scenario's arm order.
PALETTE = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


def colour(arm: str, arms: list[str]) -> str:
    others = [a for a in arms if a not in ARM_COLOURS]
    return ARM_COLOURS.get(arm) or PALETTE[others.index(arm) % len(PALETTE)]
