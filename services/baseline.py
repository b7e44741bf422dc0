"""The `no-social` baseline: a brand that neither answers nor broadcasts on social media.

Every comparison runs it beside the strategies, on the same random numbers, so each strategy's
revenue, lifetime value and profit can be read *against doing nothing* rather than in absolute
terms (an absolute ROI puts the whole customer base's lifetime value in the numerator, so the
cheapest staffing always looked best). Like `Policy` it is pure and deterministic: a function of
the ticks it is shown.

Every conversation goes unanswered and is given up `wait_hours` after it was posted.
`DEFAULT_WAIT_HOURS` is the default of a strategy's `max_wait_hours` (24 h): a post the baseline
leaves is then closed on the same clock as a post a strategy with default patience never
reached, so the two differ only in whether someone answered, not in when the neglect is felt.
"""

from __future__ import annotations

from socialsim.contracts.events import TickBatch, TickDone, TickReply
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.timeunits import MINUTES_PER_HOUR
from socialsim.contracts.vocabulary import Tone, need_of

from .policy import RESPONSE_ORDER, canonical, response
from .queues import Deadlines, Item

NAME = "no-social"
DEFAULT_WAIT_HOURS: float = Strategy.model_fields["max_wait_hours"].default  # [hours]
TONE: Tone = "neutral"  # the tone its give-ups carry (a give-up is never read for tone)


class NoSocial:
    """Answers nothing, broadcasts nothing: every conversation is given up after `wait_hours`."""

    def __init__(self, wait_hours: float = DEFAULT_WAIT_HOURS, name: str = NAME):
        if not wait_hours > 0:
            raise ValueError(f"no-social baseline: wait_hours must be > 0, got {wait_hours!r}")
        self.name = name
        self.wait_minutes = wait_hours * MINUTES_PER_HOUR
        self._deadlines = Deadlines()

    def handle(self, batch: TickBatch) -> TickReply:
        closed, wait = batch.closed, self.wait_minutes
        conversations = canonical(batch.conversations)
        # priority 0 and ready when written: a baseline post never enters a department's queue
        items = [
            Item(c, need_of(c.intent, c.topic_kind), 0.0, c.minute, c.minute + wait) for c in conversations
        ]
        self._deadlines.watch_all(items)
        responses = [
            response(self.name, item, closed.tick, "", "none", minute, False, TONE)
            for item, minute in self._deadlines.due(closed.end_minute, closed.final)
        ]
        responses.sort(key=RESPONSE_ORDER)
        return TickReply(
            responses=responses,
            broadcasts=[],
            done=TickDone(tick=closed.tick, responses=len(responses), broadcasts=0),
        )
