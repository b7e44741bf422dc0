"""The strategies as pure policies: queue discipline, capacity, hand-offs, panic, listening, tiering."""

import pytest

from services.policy import AFTER_REPLY_SHARE, Policy, canonical
from socialsim.contracts.events import TickBatch
from tests.events import HOUR, closed, conv, strategy


def tick(policy: Policy, t: int, convs, day_revenue=None, final=False):
    return policy.handle(
        TickBatch(conversations=list(convs), closed=closed(t, len(convs), day_revenue or 0.0, final))
    )


def test_a_tick_is_admitted_by_minute_then_id_whatever_order_it_came_in():
    """A tick already in order is taken as it is (not sorted); one out of order, or with two posts
    at the same minute, is sorted by (minute, id)."""
    ordered = [conv(3, 1.0), conv(1, 2.0), conv(2, 2.0), conv(4, 3.0)]  # c1 before c2: same minute
    assert canonical(ordered) == ordered
    shuffled = [conv(4, 3.0), conv(3, 1.0), conv(2, 2.0), conv(1, 2.0)]
    assert [c.id for c in canonical(shuffled)] == ["c3", "c1", "c2", "c4"]
    assert [c.id for c in canonical([conv(2, 0.5), conv(1, 0.5)])] == ["c1", "c2"]  # same minute: by id
    strictly = [conv(1, 1.0), conv(2, 2.0)]
    assert canonical(strictly) is strictly


def test_higher_priority_first_but_never_before_it_was_posted():
    s = strategy(
        "comms-led", **{"staff_hours_per_day.comms": 12, "priorities.intent": {"complaint": 5, "chatter": 1}}
    )
    p = Policy(s, "arm")
    at9 = 9 * HOUR  # inside the 8-20 shift
    reply = tick(
        p, 9, [conv(1, at9 + 1, "chatter"), conv(2, at9 + 2, "complaint"), conv(3, at9 + 30, "complaint")]
    )
    order = [r.conversation_id for r in sorted(reply.responses, key=lambda r: r.minute)]
    assert order == ["c1", "c2", "c3"]  # c1 was alone when the agent became free; c3 did not exist yet
    assert all(r.delay_minutes >= 0 for r in reply.responses)


def test_each_agent_takes_a_whole_post_and_agents_work_in_parallel():
    """Departments are pools of agents (M/G/c): with two agents on shift two posts written at once
    are both answered as soon as each is written; with one agent, one whole handle time apart (the
    reply goes out before the agent's after-contact work, which still keeps it busy)."""
    at9 = 9 * HOUR
    two = [conv(1, at9 + 5, "question"), conv(2, at9 + 5, "question")]
    handle = 6.0
    written = handle * (1 - AFTER_REPLY_SHARE)
    for staff_hours, delays in (
        (24, [written, written]),
        (12, [written, handle + written]),
    ):  # 2 and 1 agents
        s = strategy("comms-led", **{"staff_hours_per_day.comms": staff_hours})
        assert s.handle_minutes["answer"] == handle
        reply = tick(Policy(s, "arm"), 9, two)
        assert sorted(r.delay_minutes for r in reply.responses) == pytest.approx(delays)


def test_a_department_load_counts_staffed_and_busy_agent_minutes():
    s = strategy(
        "comms-led", **{"staff_hours_per_day.comms": 18}
    )  # 1.5 agents: a part-timer half of each hour
    p = Policy(s, "arm")
    tick(p, 9, [conv(1, 9 * HOUR + 5, "question")])
    load = p.load()["comms"]
    assert load.staffed_minutes == 1.5 * HOUR
    assert load.worked_minutes == s.handle_minutes["answer"]
    tick(p, 26, [])  # 02:00 the next day: nobody on shift
    assert p.load()["comms"].staffed_minutes == 1.5 * HOUR


def test_limited_staff_leaves_posts_waiting_then_unanswered():
    s = strategy(
        "comms-led", **{"staff_hours_per_day.comms": 1.2, "max_wait_hours": 2}
    )  # 0.1 agents on shift
    p = Policy(s, "arm")
    convs = [conv(i, 9 * HOUR + i, "complaint") for i in range(10)]
    first = tick(p, 9, convs)
    answered = [r for r in first.responses if r.action != "none"]
    assert 0 < len(answered) < 10
    later = tick(p, 10, []).responses + tick(p, 11, []).responses
    gave_up = [r for r in later if r.action == "none"]
    assert gave_up and all(r.delay_minutes == 120 for r in gave_up)
    assert len(answered) + len(later) == 10  # every conversation gets exactly one decision


def test_nights_are_unstaffed():
    p = Policy(strategy("comms-led"), "arm")
    night = tick(p, 2, [conv(1, 2 * HOUR + 5)])
    assert night.responses == []
    morning = tick(p, 8, [])
    assert [r.conversation_id for r in morning.responses] == ["c1"] and morning.responses[
        0
    ].delay_minutes > 5 * HOUR


def test_only_support_resolves_account_problems_after_a_handoff():
    s = strategy("marketing-led")
    p = Policy(s, "arm")
    responses = (
        tick(p, 9, [conv(1, 9 * HOUR, "complaint", kind="account")]).responses + tick(p, 10, []).responses
    )
    (r,) = responses
    assert (r.department, r.action, r.handoffs) == ("support", "resolve", 1)
    work = s.handle_minutes["resolve"] * (1 - AFTER_REPLY_SHARE)  # until the reply is written
    assert r.delay_minutes >= s.handoff_minutes + work  # hand-off delay, then the work


def test_comms_alone_cannot_resolve_and_de_escalates_instead():
    p = Policy(strategy("comms-led"), "arm")
    (r,) = tick(p, 9, [conv(1, 9 * HOUR, "complaint", kind="account")]).responses
    assert (r.department, r.action, r.handoffs) == ("comms", "de_escalate", 0)


def test_panic_button_raises_pitching_when_revenue_trails_target():
    s = strategy("marketing-led", **{"panic.window_days": 1, "pitch_rate": 0.25})
    calm, panicked = Policy(s, "a"), Policy(s, "b")
    for day, (calm_rev, panic_rev) in enumerate([(100, 100), (120, 50)], start=1):
        tick(calm, day * 24, [], day_revenue=calm_rev)
        tick(panicked, day * 24, [], day_revenue=panic_rev)
    assert panicked.revenue.panicking and not calm.revenue.panicking
    convs = [conv(i, 3 * 24 * HOUR + 9 * HOUR + i, "chatter") for i in range(20)]
    pitches = {
        name: sum(r.pitched for r in tick(pol, 3 * 24 + 9, convs, day_revenue=rev).responses)
        for name, pol, rev in (("calm", calm, 120), ("panic", panicked, 50))
    }
    assert pitches == {"calm": 5, "panic": 10}


def test_listening_retargets_toward_who_is_talking():
    p = Policy(strategy("comms-led"), "arm")
    tick(
        p,
        9,
        [conv(i, 9 * HOUR + i, segment="talkers") for i in range(9)]
        + [conv(99, 9 * HOUR + 30, segment="quiet")],
    )
    assert p.volume.segment_factor("talkers") > 1.5 > 0.5 > p.volume.segment_factor("quiet")
    deaf = Policy(strategy("support-led", **{"tiering.enabled": False}), "arm")
    tick(deaf, 9, [conv(i, 9 * HOUR + i, segment="talkers") for i in range(9)])
    assert deaf.volume.segment_factor("quiet") == 1.0


def test_value_tiering_serves_the_valuable_first():
    p = Policy(strategy("support-led", **{"staff_hours_per_day.support": 1.2}), "arm")
    convs = [conv(i, 9 * HOUR, "question", value=10.0 + i) for i in range(10)]
    reply = tick(p, 9, convs)
    first = min((r for r in reply.responses if r.action != "none"), key=lambda r: r.minute)
    assert first.conversation_id in {"c8", "c9"}  # the top 20% by monthly value


def test_broadcasts_follow_the_weekly_rate_and_offer_share():
    p = Policy(strategy("marketing-led", **{"panic.enabled": False}), "arm")
    sent = [b for day in range(14) for b in tick(p, day * 24 + 12, []).broadcasts]
    assert len(sent) == 10 and sum(b.offer for b in sent) == 4  # 5 a week, 40% offers
    assert all(b.minute % 1440 == 12 * HOUR for b in sent)
