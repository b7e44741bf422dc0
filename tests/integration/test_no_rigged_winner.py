"""No strategy wins by construction: which one earns most depends on the world (docs/architecture.md,
Invariants: No rigged winner).

Each case changes only the *world* (never a strategy), and a different ownership model comes
out on top in revenue. The reasons are the seeds' arguments, made mechanical.
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
    # Deal-seeking diners and cheap offers: campaigns fill the seats, and marketing sends most.
    "marketing-led": (
        "restaurant-chain",
        ["world.reactions.broadcast_conversion=0.04", "world.economics.offer_discount=0.1"],
    ),
    # Nothing needs support to resolve, offers give most of the price away and pitches grate:
    # a listening, revenue-blind team with its whole staff in one pool earns most.
    "comms-led": (
        "credit-card-issuer",
        NO_ACCOUNT_PROBLEMS
        + [
            "world.economics.offer_discount=0.8",
            "world.reactions.broadcast_conversion=0.05",
            "world.reactions.pitch_annoyance=0.15",
        ],
    ),
    # Customers who talk a lot, mostly about account problems only support can fix.
    "support-led": (
        "credit-card-issuer",
        [f"world.segments.{s}.conversations_per_month=4" for s in ("newlyweds", "entrepreneurs", "new_jobs")],
    ),
}


def _mean_revenue(scenario: str, sets: list[str]) -> dict[str, float]:
    result = run(
        small(scenario, sets, customers=1000, days=60, replications=3),
        inprocess_transport(),
        baseline=no_social(),
        keep_events=False,
    )
    return {arm: sum(m["revenue"]) / len(m["revenue"]) for arm, m in result.per_arm.items()}


@pytest.mark.parametrize("expected", REGIONS)
def test_each_ownership_model_wins_revenue_somewhere(expected):
    scenario, sets = REGIONS[expected]
    revenue = _mean_revenue(scenario, sets)
    assert max(revenue, key=revenue.get) == expected, revenue
