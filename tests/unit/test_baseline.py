"""The no-social baseline: answers nothing and broadcasts nothing; every conversation is given up
`wait_hours` after it was posted (or at the horizon's end), exactly once, whatever the tick."""

import pytest

from services.baseline import DEFAULT_WAIT_HOURS, NAME, NoSocial
from socialsim.contracts.events import TickBatch
from socialsim.contracts.strategy import Strategy
from tests.events import HOUR, closed, conv


def tick(policy: NoSocial, t: int, convs=(), final=False):
    return policy.handle(TickBatch(conversations=list(convs), closed=closed(t, len(convs), final=final)))


def test_it_waits_as_long_as_a_strategy_does_by_default():
    assert DEFAULT_WAIT_HOURS == Strategy.model_fields["max_wait_hours"].default == 24.0


def test_every_conversation_is_given_up_after_the_wait_and_nothing_is_broadcast():
    p = NoSocial(wait_hours=2)
    first = tick(p, 12, [conv(2, 12 * HOUR + 30, "complaint"), conv(1, 12 * HOUR + 10, "purchase_intent")])
    assert first.responses == [] and first.broadcasts == []  # nobody answers, nobody gives up yet
    assert tick(p, 13).responses == []
    gave_up = tick(p, 14).responses  # 14:10 and 14:30 fall in tick 14
    assert [(r.conversation_id, r.action, r.department, r.delay_minutes) for r in gave_up] == [
        ("c1", "none", "", 120.0),
        ("c2", "none", "", 120.0),
    ]
    assert all(r.id.startswith(f"{NAME}:r:") and not r.pitched for r in gave_up)
    assert gave_up[0].minute == 14 * HOUR + 10
    assert (first.done.responses, first.done.broadcasts) == (0, 0)
    assert tick(p, 15).responses == []  # reported once


def test_the_final_tick_gives_up_every_conversation_still_waiting():
    p = NoSocial()
    tick(p, 3, [conv(1, 3 * HOUR + 5)])
    (r,) = tick(p, 4, final=True).responses
    assert (r.action, r.minute) == ("none", 5 * HOUR)


def test_a_wait_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="wait_hours must be > 0"):
        NoSocial(wait_hours=0)
