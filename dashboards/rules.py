"""The comparison expressions, for any selection of series, and the rules and alerts Prometheus runs.

Outcome rates are ratios of cumulative totals (simulated time, not wall time, is what a
strategist compares), so they read the same whether a run is paced live, runs flat out, or was
backfilled from a finished run. Each expression is a function of label matchers: the dashboards
pass their `$run`/`$scenario`/`$arm` filters and query the raw series, since recording rules are
only evaluated from the moment Prometheus loads them, never over a backfilled run's past. The
recording rules below are the same expressions unfiltered, kept per run and scenario, for ad-hoc
queries and the alerts of a live run.
"""

from __future__ import annotations

from collections.abc import Callable

from socialsim.telemetry import catalogue as c

Matchers = tuple[str, ...]  # PromQL label matchers, e.g. ('run="$run"', 'arm=~"$arm"')
Expr = Callable[[Matchers], str]
BY = "run, scenario, arm"  # what each comparison keeps: one series per arm of a run


def sel(name: str, matchers: Matchers, *extra: str) -> str:
    """`name{matchers, extra}`: a metric selected by the given label matchers."""
    inside = ", ".join((*matchers, *extra))
    return f"{name}{{{inside}}}" if inside else name


def _ratio(num: str, den: str, num_extra: Matchers = (), den_extra: Matchers = ()) -> Expr:
    """Total of `num` / total of `den`, per arm; nothing while the denominator is zero."""
    return lambda m: (
        f"sum by ({BY}) ({sel(num, m, *num_extra)}) / sum by ({BY}) ({sel(den, m, *den_extra)} > 0)"
    )


def per_arm(name: str, how: str = "avg", *extra: str) -> Expr:
    """One series per arm of a run: `how` (avg, sum, max) over its series, e.g. a Kafka run's services."""
    return lambda m: f"{how} by ({BY}) ({sel(name, m, *extra)})"


def _quantile(q: float) -> Expr:
    return lambda m: (
        f"histogram_quantile({q}, sum by ({BY}, le) ({sel(c.FIRST_RESPONSE.name + '_bucket', m)}))"
    )


HELPED_RATE = _ratio(c.HELPED.name, c.HELP_SEEKING.name)
RESPONSE_RATE = _ratio(c.ANSWERED.name, c.CONVERSATIONS.name)
FIRST_RESPONSE_P50 = _quantile(0.5)
FIRST_RESPONSE_P90 = _quantile(0.9)
CHURN = per_arm(c.CHURNED.name, "sum")
ACQUISITIONS = per_arm(c.ACQUIRED.name, "sum")


POSITIVE, NEGATIVE = 'valence="positive"', 'valence="negative"'
UTILISATION: Expr = lambda m: (  # noqa: E731 - an expression like its siblings
    f"sum by ({BY}, department) ({sel(c.STAFF_BUSY.name, m)}) "
    f"/ sum by ({BY}, department) ({sel(c.STAFF_ON_SHIFT.name, m)} > 0)"
)
# by run and arm only: the services' series carry no scenario label
POLICY_LAG: Expr = lambda m: (  # noqa: E731
    f"max by (run, arm) ({sel(c.SIM_TIME.name, m)}) - max by (run, arm) ({sel(c.POLICY_TIME.name, m)})"
)
WOM_BALANCE = _ratio(c.WOM_REACH.name, c.WOM_REACH.name, (POSITIVE,), (NEGATIVE,))


# Recording rule names -> expressions over every run
RECORDING = {
    "arm:socialsim_helped_rate:ratio": HELPED_RATE,
    "arm:socialsim_response_rate:ratio": RESPONSE_RATE,
    "arm:socialsim_first_response_seconds:p50": FIRST_RESPONSE_P50,
    "arm:socialsim_first_response_seconds:p90": FIRST_RESPONSE_P90,
    "arm:socialsim_churned_customers:sum": CHURN,
    "arm:socialsim_acquired_customers:sum": ACQUISITIONS,
    "arm_department:socialsim_staff_utilisation:ratio": UTILISATION,
    "arm:socialsim_policy_lag_seconds": POLICY_LAG,
    "arm:socialsim_word_of_mouth_reach:positive_per_negative": WOM_BALANCE,
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
        "expr": f"{POLICY_LAG(())} > 86400",
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
                "rules": [{"record": name, "expr": expr(())} for name, expr in RECORDING.items()],
            },
            {"name": "socialsim-alerts", "rules": ALERTS},
        ]
    }
