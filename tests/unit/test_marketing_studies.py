"""The marketing and network studies behind `socialsim facts`, on hand-written event logs and
networks: each measures what it says it measures (real runs: tests/integration/test_facts.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from socialsim.facts import marketing_studies as ms

DAY = 1440.0


def _log(rows: list[dict]) -> pd.DataFrame:
    base = {"segment": "s", "action": None, "reach": None, "conversation_id": None, "customer": None}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_organic_reach_divides_by_the_followers_at_the_time_of_each_post():
    log = _log(
        [{"kind": "follow", "customer": c, "minute": 0.0, "action": "initial"} for c in range(10)]
        + [
            {"kind": "broadcast", "minute": 10.0, "reach": 2},  # 10 followers: 20%
            {"kind": "unfollow", "customer": 0, "minute": 20.0, "action": "promotion"},
            {"kind": "churn", "customer": 1, "minute": 30.0},
            {"kind": "churn", "customer": 99, "minute": 30.0},  # never followed: changes nothing
            {"kind": "broadcast", "minute": 40.0, "reach": 4},  # 8 followers: 50%
        ]
    )
    assert ms.organic_reach(log) == pytest.approx((0.2 + 0.5) / 2)


def test_campaign_lift_compares_exposed_with_held_out_followers_per_window():
    follows = [{"kind": "follow", "customer": c, "minute": 0.0, "action": "initial"} for c in range(8)]
    held = [{"kind": "holdout", "customer": c, "minute": 0.0} for c in range(4)]
    buys = [  # window 0: exposed 2 of 4 buy, held out 1 of 4; window 1: 2 and 1 again
        {"kind": "purchase", "customer": c, "minute": m, "action": "campaign"}
        for c, m in [(4, 1.0), (5, 2.0), (5, 3.0), (0, 4.0), (6, 30 * DAY), (7, 31 * DAY), (1, 32 * DAY)]
    ]
    bills = [{"kind": "purchase", "customer": c, "minute": 5.0, "action": "recurring"} for c in range(8)]
    lift = ms.CampaignLift(window_days=28)(_log(follows + held + buys + bills), horizon_minutes=60 * DAY)
    assert lift == pytest.approx((4 / 8) / (2 / 8) - 1)


def test_deal_newcomers_is_the_share_of_broadcast_offer_redemptions_by_new_people():
    log = _log(
        [
            {"kind": "purchase", "customer": 1, "minute": 5.0, "action": "offer"},
            {"kind": "acquisition", "customer": 1, "minute": 5.0, "action": "offer"},
            {"kind": "purchase", "customer": 2, "minute": 5.0, "action": "offer"},
            {"kind": "purchase", "customer": 3, "minute": 5.0, "action": "offer"},
            {"kind": "purchase", "customer": 4, "minute": 6.0, "action": "offer", "conversation_id": "c"},
        ]
    )
    assert ms.deal_newcomers(log) == pytest.approx(1 / 3)


def test_deal_return_counts_purchases_without_an_offer_within_the_window():
    def joined(c, m):
        return [
            {"kind": "acquisition", "customer": c, "minute": m, "action": "offer"},
            {"kind": "purchase", "customer": c, "minute": m, "action": "offer"},
        ]

    log = _log(
        joined(1, 0.0)
        + [{"kind": "purchase", "customer": 1, "minute": 10 * DAY, "action": "recurring"}]  # returns
        + joined(2, 0.0)
        + [{"kind": "purchase", "customer": 2, "minute": 100 * DAY, "action": "recurring"}]  # too late
        + joined(3, 0.0)
        + [  # came back through another offer first
            {"kind": "purchase", "customer": 3, "minute": 5 * DAY, "action": "offer"},
            {"kind": "purchase", "customer": 3, "minute": 6 * DAY, "action": "recurring"},
        ]
        + joined(4, 0.0)  # never again
        + joined(5, 150 * DAY)  # too close to the end to be studied
    )
    assert ms.DealReturn(within_days=90)(log, horizon_minutes=180 * DAY) == pytest.approx(1 / 4)


def test_unfollow_reasons_shares():
    reasons = ["promotion"] * 5 + ["frequency"] * 3 + ["neglect"] * 2
    log = _log(
        [{"kind": "unfollow", "customer": i, "minute": 1.0, "action": r} for i, r in enumerate(reasons)]
    )
    assert ms.promotion_unfollow_share(log) == pytest.approx(0.5)
    assert ms.promotion_over_next_reason(log) == pytest.approx(5 / 3)


def test_negative_reach_is_a_ratio_of_mean_reach_of_word_of_mouth_between_customers():
    log = _log(
        [
            {"kind": "wom_negative", "customer": 1, "minute": 1.0, "action": "talk", "reach": 30},
            {"kind": "wom_negative", "customer": 1, "minute": 1.0, "action": "reaction", "reach": 10},
            {"kind": "wom_negative", "customer": 1, "minute": 1.0, "action": "voice", "reach": 1000},  # voice
            {"kind": "wom_positive", "customer": 2, "minute": 1.0, "action": "talk", "reach": 10},
        ]
    )
    assert ms.negative_reach(log) == pytest.approx(2.0)


def test_churn_contagion_is_a_rate_ratio_over_exposed_and_unexposed_customer_time():
    """Customer 0 churns on day 10; customer 1 follows 0 and churns on day 20 (exposed);
    customer 4 follows 0 too but churns the same day as 0 (unexposed: a day's churns are decided
    together); customer 2 follows nobody and churns on day 40; customer 3 never churns. Horizon
    100 days."""
    log = _log(
        [{"kind": "purchase", "customer": c, "minute": 0.0, "action": "recurring"} for c in range(5)]
        + [
            {"kind": "churn", "customer": c, "minute": d * DAY}
            for c, d in [(0, 10), (1, 20), (2, 40), (4, 10)]
        ]
    )
    network = pd.DataFrame({"author": [0, 0], "follower": [1, 4]})
    # exposed: customer 1 from day 10 to 20 (1 churn in 10 days);
    # unexposed: 10 + 10 + 40 + 100 + 10 days, 3 churns
    expected = (1 / 10) / (3 / 170)
    assert ms.churn_contagion(log, network, horizon_minutes=100 * DAY) == pytest.approx(expected)
