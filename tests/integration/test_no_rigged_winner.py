"""No strategy wins by construction: which one earns most depends on the world (docs/architecture.md,
Invariants: No rigged winner).

Each case changes only the *world* (never a strategy), and a different ownership model comes
out on top, in revenue and in incremental profit against the no-social baseline (what running
social media this way earns over not running it, after paying for it). The reasons are the
seeds' arguments, made mechanical.
"""

import pytest

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from tests.conftest import small

NO_ACCOUNT_PROBLEMS = [
    "world.topics.credit_limit=product",
    "world.topics.card_consolidation=product",
    "world.topics.fraud_and_disputes=product",
]

REGIONS = {
    # Deal-seeking diners who do not mind a pitch, cheap offers, and campaigns that travel and
    # bring in new regulars: marketing sends most campaigns, and its new customers are worth most.
    "marketing-led": (
        "restaurant-chain",
        [
            "world.reactions.broadcast_conversion=0.04",
            "world.economics.offer_discount=0.1",
            "world.reactions.campaign_acquisition_hazard=0.2",
            "world.reactions.campaign_prospect_reach=0.15",
            "world.reactions.pitch_annoyance=0",
        ],
    ),
    # Nothing needs support to resolve, offers give most of the price away and pitches grate, and
    # support agents are scarce (dear) while comms staff are not: a listening, revenue-blind team
    # with its whole staff in one pool earns most, and for least.
    "comms-led": (
        "credit-card-issuer",
        NO_ACCOUNT_PROBLEMS
        + [
            "world.economics.offer_discount=0.8",
            "world.reactions.broadcast_conversion=0.05",
            "world.reactions.pitch_annoyance=0.15",
            "world.economics.staff_cost_dollars_per_hour.support=90",
            "world.economics.staff_cost_dollars_per_hour.comms=40",
        ],
    ),
    # Customers who talk a lot, mostly about account problems only support can fix.
    "support-led": (
        "credit-card-issuer",
        [f"world.segments.{s}.conversations_per_month=4" for s in ("newlyweds", "entrepreneurs", "new_jobs")],
    ),
}


@pytest.fixture(scope="module")
def means():
    """Mean revenue and incremental profit by arm, per world (each world simulated once)."""
    cache: dict[str, dict[str, dict[str, float]]] = {}

    def of(expected: str) -> dict[str, dict[str, float]]:
        if expected not in cache:
            scenario, sets = REGIONS[expected]
            result = run(
                small(scenario, sets, customers=1000, days=60, replications=3),
                inprocess_transport(),
                baseline=no_social(),
                keep_events=False,
            )
            cache[expected] = {
                metric: {arm: sum(m[metric]) / len(m[metric]) for arm, m in result.per_arm.items()}
                for metric in ("revenue", "incremental_profit")
            }
        return cache[expected]

    return of


@pytest.mark.parametrize("expected", REGIONS)
def test_each_ownership_model_wins_revenue_somewhere(expected, means):
    revenue = means(expected)["revenue"]
    assert max(revenue, key=revenue.get) == expected, revenue


@pytest.mark.parametrize("expected", REGIONS)
def test_each_ownership_model_wins_incremental_profit_somewhere(expected, means):
    profit = means(expected)["incremental_profit"]
    assert max(profit, key=profit.get) == expected, profit
