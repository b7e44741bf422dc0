"""Customer journey: what customers say to each other, who arrives and who leaves."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from socialsim.telemetry import catalogue as c

from . import rules
from .defaults import ARMS, PER_ARM, compare, new_dashboard, panel, query
from .rules import NEGATIVE, POSITIVE, sel

UID = "socialsim-customer-journey"


def build() -> dashboard.Dashboard:
    return (
        new_dashboard(
            "socialsim / Customer journey",
            UID,
            "Word of mouth over the follower network, acquisitions and churn by segment, per arm.",
        )
        .with_row(dashboard.Row("Word of mouth"))
        .with_panel(
            compare(
                "Positive word-of-mouth reach",
                "Followers reached by posts praising the brand.",
                "none",
                rules.per_arm(c.WOM_REACH.name, "avg", POSITIVE),
            )
        )
        .with_panel(
            compare(
                "Negative word-of-mouth reach",
                "Followers reached by posts criticising the brand.",
                "none",
                rules.per_arm(c.WOM_REACH.name, "avg", NEGATIVE),
            )
        )
        .with_panel(
            compare(
                "Positive per negative reach",
                "Positive reach divided by negative reach.",
                "none",
                rules.WOM_BALANCE,
            )
        )
        .with_panel(
            panel(
                "Word-of-mouth posts",
                "Posts about the brand, by valence.",
                "none",
                query(f"avg by (arm, valence) ({sel(c.WOM_POSTS.name, ARMS)})", f"{PER_ARM} {{{{valence}}}}"),
            )
        )
        .with_row(dashboard.Row("Customers"))
        .with_panel(
            compare("Acquisitions", "Prospects who became customers so far.", "none", rules.ACQUISITIONS)
        )
        .with_panel(
            compare(
                "Active customers",
                "Customers at the end of the latest tick.",
                "none",
                rules.per_arm(c.ACTIVE.name),
            )
        )
        .with_panel(
            panel(
                "Acquisitions by segment",
                "Prospects who became customers, by segment.",
                "none",
                query(f"avg by (arm, segment) ({sel(c.ACQUIRED.name, ARMS)})", f"{PER_ARM} {{{{segment}}}}"),
            )
        )
        .with_panel(
            panel(
                "Churn by segment",
                "Customers lost, by segment.",
                "none",
                query(f"avg by (arm, segment) ({sel(c.CHURNED.name, ARMS)})", f"{PER_ARM} {{{{segment}}}}"),
            )
        )
    )
