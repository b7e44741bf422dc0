"""Recording rules for the comparison panels, and the alerts a run's operator wants.

Outcome rates are ratios of cumulative totals (simulated time, not wall time, is what a
strategist compares), so they read the same whether a run is paced live or runs flat out.
"""

from __future__ import annotations

from socialsim.telemetry import catalogue as c

# Recording rule names, used by the dashboards
HELPED_RATE = "arm:socialsim_helped_rate:ratio"
RESPONSE_RATE = "arm:socialsim_response_rate:ratio"
FIRST_RESPONSE_P50 = "arm:socialsim_first_response_seconds:p50"
FIRST_RESPONSE_P90 = "arm:socialsim_first_response_seconds:p90"
CHURN = "arm:socialsim_churned_customers:sum"
ACQUISITIONS = "arm:socialsim_acquired_customers:sum"
UTILISATION = "arm_department:socialsim_staff_utilisation:ratio"
POLICY_LAG = "arm:socialsim_policy_lag_seconds"
WOM_BALANCE = "arm:socialsim_word_of_mouth_reach:positive_per_negative"


def _quantile(q: float) -> str:
    return f"histogram_quantile({q}, sum by (arm, le) ({c.FIRST_RESPONSE.name}_bucket))"


RECORDING = {
    HELPED_RATE: f"sum by (arm) ({c.HELPED.name}) / sum by (arm) ({c.HELP_SEEKING.name} > 0)",
    RESPONSE_RATE: f"sum by (arm) ({c.ANSWERED.name}) / sum by (arm) ({c.CONVERSATIONS.name} > 0)",
    FIRST_RESPONSE_P50: _quantile(0.5),
    FIRST_RESPONSE_P90: _quantile(0.9),
    CHURN: f"sum by (arm) ({c.CHURNED.name})",
    ACQUISITIONS: f"sum by (arm) ({c.ACQUIRED.name})",
    UTILISATION: (
        f"sum by (arm, department) ({c.STAFF_BUSY.name}) "
        f"/ sum by (arm, department) ({c.STAFF_ON_SHIFT.name} > 0)"
    ),
    POLICY_LAG: f"max by (arm) ({c.SIM_TIME.name}) - max by (arm) ({c.POLICY_TIME.name})",
    WOM_BALANCE: (
        f'sum by (arm) ({c.WOM_REACH.name}{{valence="positive"}}) '
        f'/ sum by (arm) ({c.WOM_REACH.name}{{valence="negative"}} > 0)'
    ),
}

ALERTS = [
    {
        "alert": "TrustCollapsing",
        "expr": f"delta({c.TRUST.name}[10m]) < -0.1",
        "for": "1m",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "Mean customer trust in arm {{ $labels.arm }} fell by more than 0.1 in 10 minutes"
        },
    },
    {
        "alert": "DeadLettersRising",
        "expr": f"increase({c.DEAD_LETTERS.name}[5m]) > 0",
        "for": "0m",
        "labels": {"severity": "warning"},
        "annotations": {"summary": "Service for arm {{ $labels.arm }} is dead-lettering messages"},
    },
    {
        "alert": "StrategyServiceBehind",
        "expr": f"{POLICY_LAG} > 86400",
        "for": "2m",
        "labels": {"severity": "critical"},
        "annotations": {
            "summary": "The strategy of arm {{ $labels.arm }} is more than a simulated day behind the world"
        },
    },
]


def rules_document() -> dict[str, list[dict[str, object]]]:
    return {
        "groups": [
            {
                "name": "socialsim-comparison",
                "rules": [{"record": name, "expr": expr} for name, expr in RECORDING.items()],
            },
            {"name": "socialsim-alerts", "rules": ALERTS},
        ]
    }
