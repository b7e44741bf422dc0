"""Collect a tick from a stream whose order Kafka does not promise, and that anyone may write to.

A tick is complete when its tick-closed marker has arrived and exactly as many distinct
conversations as it announces. Ticks are released strictly in order.

What the stream may hold follows from the lockstep: the simulator publishes tick T+1 only after
this service has answered tick T, so the only tick that can legitimately arrive is the one being
assembled (`next_tick`); earlier ticks arrive again only as redelivery. Hence:

* an event of a later tick cannot come from the simulator: it is refused (dead-lettered), and
  never reaches the policy. No lookahead is needed, so none is allowed.
* a redelivered event identical to what was used is ignored and counted.
* an event that contradicts the tick being assembled or the one just released (a second,
  different marker; a conversation beyond the announced count; a different event under a known
  id) means the stream holds something the simulator did not send and the policy's answer can no
  longer be trusted: `TickConflict`, which stops the service with one line.
* older ticks cannot be checked any more (they are forgotten, to keep memory bounded): ignored
  and counted. Their replies were published long ago and the simulator checks what it got.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from socialsim.contracts.events import Conversation, TickBatch, TickClosed

Event = Conversation | TickClosed


class TickConflict(Exception):
    """Events of one tick contradict each other: the tick cannot be answered truthfully."""

    def __init__(self, tick: int, what: str) -> None:
        super().__init__(f"tick {tick}: {what}")
        self.tick = tick


@dataclass
class TickAssembler:
    """One replication's ticks. `ignored` counts what was dropped as redelivery, by kind."""

    ignored: Counter[str] = field(default_factory=Counter)
    next_tick: int = 0
    _conversations: dict[str, Conversation] = field(default_factory=dict)
    _closed: TickClosed | None = None
    _released: TickClosed | None = None
    _released_conversations: dict[str, Conversation] = field(default_factory=dict)

    def add(self, event: Event) -> str | None:
        """Take one event; return why it is refused (for a dead letter), or None if taken or ignored.

        Raises TickConflict when the event contradicts what this tick already holds or held."""
        if event.tick > self.next_tick:
            return (
                f"event of tick {event.tick} while tick {self.next_tick} is being assembled: "
                f"the simulator sends a tick only once the previous one is answered"
            )
        if event.tick < self.next_tick:
            self._redelivered(event)
            return None
        if isinstance(event, TickClosed):
            if event.count < 0:
                return f"tick-closed marker announcing {event.count} conversations"
            self._close(event)
        else:
            self._conversation(event)
        return None

    def ready(self) -> list[TickBatch]:
        """The tick being assembled, once complete (at most one: later ticks are refused)."""
        closed = self._closed
        if closed is None or len(self._conversations) < closed.count:
            return []
        batch = TickBatch(conversations=list(self._conversations.values()), closed=closed)
        self._released, self._released_conversations = closed, self._conversations
        self._conversations, self._closed = {}, None
        self.next_tick += 1
        return [batch]

    def _close(self, marker: TickClosed) -> None:
        if self._closed is not None:
            if marker != self._closed:
                raise TickConflict(marker.tick, "two different tick-closed markers")
            self.ignored["duplicate"] += 1
            return
        if marker.count < len(self._conversations):
            raise TickConflict(
                marker.tick,
                f"the marker announces {marker.count} conversations, {len(self._conversations)} "
                f"distinct ones arrived",
            )
        self._closed = marker

    def _conversation(self, c: Conversation) -> None:
        known = self._conversations.get(c.id)
        if known is not None:
            if known != c:
                raise TickConflict(c.tick, f"two different conversations with id {c.id!r}")
            self.ignored["duplicate"] += 1
            return
        self._conversations[c.id] = c
        if self._closed is not None and len(self._conversations) > self._closed.count:
            raise TickConflict(
                c.tick,
                f"more distinct conversations ({len(self._conversations)}) than the marker "
                f"announces ({self._closed.count})",
            )

    def _redelivered(self, event: Event) -> None:
        released = self._released
        if released is None or event.tick != released.tick:
            self.ignored["stale"] += 1
            return
        if isinstance(event, TickClosed):
            same = event == released
        else:
            same = self._released_conversations.get(event.id) == event
        if not same:
            raise TickConflict(
                event.tick,
                f"a {type(event).__name__} arrived after the tick was answered that is not one it "
                f"was answered with (more distinct events than the marker announced)",
            )
        self.ignored["duplicate"] += 1
