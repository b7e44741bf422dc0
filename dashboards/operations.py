"""Operations: how the strategy services keep up — backlog, staff, hand-offs, dead letters, lag."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from socialsim.telemetry import catalogue as c
from socialsim.telemetry import names as n

from . import rules
from .defaults import PER_ARM, SERVICE_ARMS, compare, new_dashboard, panel, query
from .rules import sel

# FastStream's own metrics carry no run label: the services' app_name is their arm
APPS = 'app_name=~"$arm"'

UID = "socialsim-operations"


def build() -> dashboard.Dashboard:
    return (
        new_dashboard(
            "socialsim / Operations",
            UID,
            "The pipeline: department queues and staff per arm, and the Kafka services' throughput.",
        )
        .with_row(dashboard.Row("Departments"))
        .with_panel(
            panel(
                "Backlog",
                "Conversations waiting in each department's queue.",
                "none",
                query(
                    f"sum by (arm, department) ({sel(c.BACKLOG.name, SERVICE_ARMS)})",
                    f"{PER_ARM} {{{{department}}}}",
                ),
            )
        )
        .with_panel(
            panel(
                "Staff utilisation",
                "Agent time handling conversations / agent time on shift, since the run began.",
                "percentunit",
                query(rules.UTILISATION(SERVICE_ARMS), f"{PER_ARM} {{{{department}}}}"),
            )
        )
        .with_panel(
            compare(
                "Hand-offs",
                "Conversations passed from one department to another.",
                "none",
                rules.per_arm(c.HANDOFFS.name, "sum"),
                SERVICE_ARMS,
            )
        )
        .with_panel(
            panel(
                "Decisions",
                "Conversations closed, by department and action (none: the customer gave up waiting).",
                "none",
                query(
                    f"sum by (arm, department, action) ({sel(c.DECISIONS.name, SERVICE_ARMS)})",
                    f"{PER_ARM} {{{{department}}}} {{{{action}}}}",
                ),
            )
        )
        .with_row(dashboard.Row("Pipeline"))
        .with_panel(
            compare(
                "Dead letters",
                "Messages a service could not use, sent to the dead-letter topic.",
                "none",
                rules.per_arm(c.DEAD_LETTERS.name, "sum"),
                SERVICE_ARMS,
            )
        )
        .with_panel(
            compare(
                "Strategy lag",
                "How far the strategy's handling is behind the world, in simulated "
                "time: the consumer lag that matters in lockstep.",
                "s",
                rules.POLICY_LAG,
                SERVICE_ARMS,
            )
        )
        .with_panel(
            panel(
                "Messages consumed",
                "Kafka messages each service received per second.",
                "ops",
                query(f"sum by (app_name) (rate({n.RECEIVED}{{{APPS}}}[1m]))", "{{app_name}}"),
            )
        )
        .with_panel(
            panel(
                "Messages published",
                "Kafka messages each service published per second.",
                "ops",
                query(f"sum by (app_name) (rate({n.PUBLISHED}{{{APPS}}}[1m]))", "{{app_name}}"),
            )
        )
    )
