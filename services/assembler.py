"""Collect a tick from a stream whose order Kafka does not promise.

A tick is complete when its tick-closed marker has arrived and as many distinct conversations as
it announces. Duplicates (redelivery) are dropped by event id, so handling is idempotent; ticks
are released strictly in order, so a fast partition can never make a tick skip ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from socialsim.contracts.events import Conversation, TickBatch, TickClosed


@dataclass
class TickAssembler:
    next_tick: int = 0
    _conversations: dict[int, dict[str, Conversation]] = field(default_factory=dict)
    _closed: dict[int, TickClosed] = field(default_factory=dict)

    def add(self, event: Conversation | TickClosed) -> None:
        if event.tick < self.next_tick:
            return  # a tick already handled: redelivery changes nothing
        if isinstance(event, TickClosed):
            self._closed.setdefault(event.tick, event)
        else:
            self._conversations.setdefault(event.tick, {}).setdefault(event.id, event)

    def ready(self) -> list[TickBatch]:
        """Every tick now complete, in order."""
        out = []
        while (closed := self._closed.get(self.next_tick)) is not None:
            convs = self._conversations.get(self.next_tick, {})
            if len(convs) < closed.count:
                break
            out.append(TickBatch(conversations=list(convs.values()), closed=closed))
            self._closed.pop(self.next_tick)
            self._conversations.pop(self.next_tick, None)
            self.next_tick += 1
        return out
