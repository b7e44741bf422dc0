"""Strategy comparison: the outcomes a strategist weighs, one line per arm.

Where each arm ended (final values), how it got there, and how far each arm is from the
reference arm over time. Each outcome is declared once in `OUTCOMES` and drawn as each kind.
Money panels are in one currency (Grafana units take no variables), so `build` makes the
dashboard for a given currency; `render` makes one per currency.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from socialsim.telemetry import catalogue as c

from . import rules
from .defaults import MONEY_TAG, compare, difference, final, money, new_dashboard, other_currencies

UID = "socialsim-strategy-comparison"
MONEY = "money"  # stands for the dashboard's currency unit in `OUTCOMES`

# name -> (description, unit, expression)
OUTCOMES: dict[str, tuple[str, str, rules.Expr]] = {
    "Revenue": (
        "Purchases so far (bills, conversation and pitch sales, campaigns).",
        MONEY,
        rules.per_arm(c.REVENUE.name),
    ),
    "Customer lifetime value": (
        "Discounted margin of today's active customers at their current spend and churn hazard.",
        MONEY,
        rules.per_arm(c.CLV.name),
    ),
    "Cost": ("Staff and broadcast cost so far.", MONEY, rules.per_arm(c.COST.name)),
    "Incremental profit": (
        "Against the no-social baseline on the same random numbers: margin x incremental revenue "
        "+ incremental CLV - cost, so far.",
        MONEY,
        rules.per_arm(c.INCREMENTAL_PROFIT.name),
    ),
    "Incremental revenue": (
        "Revenue so far minus the no-social baseline's.",
        MONEY,
        rules.per_arm(c.INCREMENTAL_REVENUE.name),
    ),
    "Incremental lifetime value": (
        "Customer lifetime value now minus the no-social baseline's.",
        MONEY,
        rules.per_arm(c.INCREMENTAL_CLV.name),
    ),
    "ROI": (
        "Incremental profit / cost so far: the return on what social media costs, against doing nothing.",
        "none",
        rules.per_arm(c.ROI.name),
    ),
    "Trust": ("Mean trust of active customers (0..1).", "percentunit", rules.per_arm(c.TRUST.name)),
    "Helped rate": (
        "Share of help-seeking conversations whose customer was helped.",
        "percentunit",
        rules.HELPED_RATE,
    ),
    "NPS": (
        "Net promoter score of active customers, by trust thresholds.",
        "none",
        rules.per_arm(c.NPS.name),
    ),
    "Churned customers": ("Customers lost so far, all segments.", "none", rules.CHURN),
    "First response time (median)": (
        "Median delay of the brand's first response since the run began (simulated time).",
        "s",
        rules.FIRST_RESPONSE_P50,
    ),
    "Response rate": ("Share of conversations the brand answered.", "percentunit", rules.RESPONSE_RATE),
}
ROWS = {
    "Revenue": ("Revenue", "Customer lifetime value", "Cost"),
    "Against doing nothing": (
        "Incremental profit",
        "Incremental revenue",
        "Incremental lifetime value",
        "ROI",
    ),
    "Relationships": ("Trust", "Helped rate", "NPS", "Churned customers"),
    "Responsiveness": ("First response time (median)", "Response rate"),
}
FINAL = (
    "Revenue",
    "Customer lifetime value",
    "Cost",
    "Incremental profit",
    "ROI",
    "Trust",
    "Helped rate",
    "NPS",
    "Churned customers",
)
DIFFERENCES = ("Incremental profit", "Revenue", "Trust", "Helped rate", "NPS")


def build(currency: str, uid: str = UID) -> dashboard.Dashboard:
    """The dashboard with its money panels in `currency`, for runs of scenarios in that currency."""

    def outcome(title: str) -> tuple[str, str, rules.Expr]:
        description, unit, expr = OUTCOMES[title]
        return description, money(currency) if unit == MONEY else unit, expr

    board = (
        new_dashboard(
            f"socialsim / Strategy comparison ({currency})",
            uid,
            "Who should own social media? Each line is one ownership strategy (arm) of the chosen run, "
            f"the mean over its replications. Money in {currency}: for runs of scenarios whose "
            f"world.currency is {currency} (Other currencies lists the dashboards for the rest).",
            (MONEY_TAG,),
        )
        .link(other_currencies())
        .with_row(dashboard.Row("Where each arm ended"))
    )
    for title in FINAL:
        board = board.with_panel(final(title, *outcome(title)))
    for row, titles in ROWS.items():
        board = board.with_row(dashboard.Row(row))
        for title in titles:
            board = board.with_panel(compare(title, *outcome(title)))
    board = board.with_row(dashboard.Row("Difference from the reference arm ($reference)"))
    for title in DIFFERENCES:
        board = board.with_panel(difference(title, *outcome(title)))
    return board
