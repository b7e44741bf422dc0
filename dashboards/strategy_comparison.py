"""Strategy comparison: the outcomes a strategist weighs, one line per arm."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from socialsim.telemetry import catalogue as c

from . import rules
from .defaults import compare, new_dashboard

UID = "socialsim-strategy-comparison"


def build() -> dashboard.Dashboard:
    return (
        new_dashboard(
            "socialsim / Strategy comparison",
            UID,
            "Who should own social media? Each line is one ownership strategy (arm), "
            "the mean over the replications in flight.",
        )
        .with_row(dashboard.Row("Revenue"))
        .with_panel(
            compare(
                "Revenue",
                "Purchases so far (bills, conversation and pitch sales, campaigns).",
                "currencyUSD",
                f"avg by (arm) ({c.REVENUE.name})",
            )
        )
        .with_panel(
            compare(
                "Customer lifetime value",
                "Discounted margin of today's active customers at their current spend and churn hazard.",
                "currencyUSD",
                f"avg by (arm) ({c.CLV.name})",
            )
        )
        .with_panel(
            compare(
                "Cost", "Staff and broadcast cost so far.", "currencyUSD", f"avg by (arm) ({c.COST.name})"
            )
        )
        .with_panel(
            compare(
                "ROI",
                "(margin x revenue + CLV - cost) / cost so far.",
                "none",
                f"avg by (arm) ({c.ROI.name})",
            )
        )
        .with_row(dashboard.Row("Relationships"))
        .with_panel(
            compare(
                "Trust",
                "Mean trust of active customers (0..1).",
                "percentunit",
                f"avg by (arm) ({c.TRUST.name})",
            )
        )
        .with_panel(
            compare(
                "Helped rate",
                "Share of help-seeking conversations whose customer was helped.",
                "percentunit",
                rules.HELPED_RATE,
            )
        )
        .with_panel(
            compare(
                "NPS",
                "Net promoter score of active customers, by trust thresholds.",
                "none",
                f"avg by (arm) ({c.NPS.name})",
            )
        )
        .with_panel(compare("Churned customers", "Customers lost so far, all segments.", "none", rules.CHURN))
        .with_row(dashboard.Row("Responsiveness"))
        .with_panel(
            compare(
                "First response time (median)",
                "Median delay of the brand's first response since the run began (simulated time).",
                "s",
                rules.FIRST_RESPONSE_P50,
            )
        )
        .with_panel(
            compare(
                "Response rate",
                "Share of conversations the brand answered.",
                "percentunit",
                rules.RESPONSE_RATE,
            )
        )
    )
