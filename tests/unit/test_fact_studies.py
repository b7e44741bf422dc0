"""The virtual studies behind `socialsim facts`, on hand-written event logs: each measures what it
says it measures (the suite on real runs is in tests/integration/test_facts.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from socialsim.facts import studies

DAY = 1440.0


def _log(rows: list[dict]) -> pd.DataFrame:
    base = {
        "arm": "a",
        "replication": 0,
        "segment": "s",
        "intent": None,
        "action": None,
        "delay_minutes": None,
        "helped": None,
        "trust": None,
        "amount_dollars": None,
        "conversation_id": None,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def _post(
    cid: str,
    customer: int,
    minute: float,
    replied: bool,
    delay: float = 5.0,
    helped: bool = False,
    trust: float = 0.7,
    intent: str = "question",
    segment: str = "s",
) -> list[dict]:
    return [
        {
            "kind": "conversation",
            "conversation_id": cid,
            "customer": customer,
            "minute": minute,
            "intent": intent,
            "segment": segment,
        },
        {
            "kind": "response",
            "conversation_id": cid,
            "customer": customer,
            "minute": minute + delay,
            "intent": intent,
            "segment": segment,
            "action": "answer" if replied else "none",
            "delay_minutes": delay if replied else 120.0,
            "helped": helped,
            "trust": trust,
        },
    ]


def _bill(customer: int, minute: float, dollars: float, segment: str = "s") -> dict:
    return {
        "kind": "purchase",
        "action": "recurring",
        "customer": customer,
        "minute": minute,
        "amount_dollars": dollars,
        "segment": segment,
    }


def test_spend_uplift_compares_the_bills_around_each_isolated_post():
    log = _log(
        [
            _bill(1, 0.0, 100.0),
            *_post("c1", 1, 10 * DAY, replied=True, delay=3.0),
            _bill(1, 30 * DAY, 110.0),
            _bill(2, 0.0, 50.0),
            *_post("c2", 2, 10 * DAY, replied=False),
            _bill(2, 30 * DAY, 50.0),
            _bill(3, 0.0, 80.0),
            *_post("c3", 3, 10 * DAY, replied=True, delay=40.0),
            _bill(3, 30 * DAY, 84.0),
            # two posts between the same bills: neither is isolated, so neither counts
            _bill(4, 0.0, 10.0),
            *_post("c4", 4, 5 * DAY, replied=True),
            *_post("c5", 4, 6 * DAY, replied=False),
            _bill(4, 30 * DAY, 99.0),
        ]
    )
    posts = studies.with_bill_ratio(studies.service_posts(log), log)
    assert sorted(posts["conversation_id"]) == ["c1", "c2", "c3"]
    assert studies.SpendUplift()(posts) == pytest.approx((1.10 + 1.05) / 2 - 1.0)
    assert studies.SpendUplift(max_delay_minutes=6)(posts) == pytest.approx(0.10)
    assert studies.SpendUplift(min_delay_minutes=20)(posts) == pytest.approx(0.05)


def test_standardised_mean_weighs_segments_by_the_common_mix():
    frame = pd.DataFrame({"segment": ["x", "x", "x", "y"], "v": [1.0, 1.0, 1.0, 3.0]})
    assert studies.standardised_mean(frame, "v", pd.Series({"x": 0.5, "y": 0.5})) == pytest.approx(2.0)
    assert studies.standardised_mean(frame, "v", pd.Series({"x": 1.0})) == pytest.approx(1.0)


def test_word_of_mouth_ratio_leaves_out_voice():
    log = _log(
        [
            {"kind": "wom_positive", "action": "talk", "minute": 1.0},
            {"kind": "wom_positive", "action": "reaction", "minute": 2.0},
            {"kind": "wom_negative", "action": "reaction", "minute": 3.0},
            {"kind": "wom_negative", "action": "voice", "minute": 4.0},
        ]
    )
    assert studies.wom_ratio(log) == 2.0


def test_squeaky_wheel_counts_later_complaints_in_the_follow_up_window():
    c = "complaint"
    log = _log(
        [
            *_post("h1", 1, 1 * DAY, True, helped=True, trust=0.8, intent=c),
            *_post("h2", 1, 20 * DAY, True, intent=c),
            *_post("h3", 1, 80 * DAY, True, intent=c),  # after the 60-day follow-up: not counted
            *_post("u1", 2, 1 * DAY, False, trust=0.6, intent=c),
            *_post(
                "late", 3, 70 * DAY, False, trust=0.9, intent=c
            ),  # less than 60 days of horizon left: not studied
        ]
    )
    rate, trust = studies.SqueakyWheel(follow_up_days=60).differences(log, horizon_minutes=120 * DAY)
    assert rate == pytest.approx(1 * 30 / 60)
    assert trust == pytest.approx(0.2)


def test_typical_care_reads_unanswered_share_and_median_reply():
    c = "complaint"
    log = _log(
        [
            *_post("a", 1, 0.0, True, delay=30.0, intent=c),
            *_post("b", 2, 0.0, True, delay=50.0, intent=c),
            *_post("d", 3, 0.0, False, intent=c),
            *_post("q", 4, 0.0, False),
        ]
    )
    assert studies.unanswered_complaints(log) == pytest.approx(1 / 3)
    assert studies.median_first_reply(log) == pytest.approx(40.0)
