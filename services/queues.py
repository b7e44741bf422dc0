"""A department's work queue: non-preemptive priority service in simulated time.

Why a small event loop instead of "sort the tick and work down the list": sorting a whole tick
by priority would let agents answer a high-priority post before it was written. Here an agent
that becomes free at time t takes the best item *already posted* at t, so a tick's length never
changes who waits how long.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from socialsim.contracts.events import Conversation
from socialsim.contracts.vocabulary import Department, Need


@dataclass(slots=True)
class Item:
    conversation: Conversation
    need: Need
    priority: float
    ready: float  # simulated minute from which the department can pick it up
    deadline: float  # simulated minute after which the customer gives up
    handoffs: int = 0
    done: bool = False

    def sort_key(self) -> tuple[float, float, str]:
        return (-self.priority, self.conversation.minute, self.conversation.id)


@dataclass(frozen=True)
class DepartmentLoad:
    """A department's figures at one moment, for measurement."""

    backlog: int  # conversations waiting [conversations]
    staffed_minutes: float  # agent time on shift so far [agent-minutes]
    worked_minutes: float  # agent time spent handling conversations so far [agent-minutes]


@dataclass
class DepartmentQueue:
    name: Department
    headcount: float  # agents on shift at once; the pool is served as one server this much faster
    free_at: float = 0.0
    staffed_minutes: float = 0.0  # agent-minutes on shift so far (read by measurement only)
    worked_minutes: float = (
        0.0  # agent-minutes spent handling conversations so far (read by measurement only)
    )
    _future: list[tuple[float, str, Item]] = field(default_factory=list)
    _ready: list[tuple[tuple[float, float, str], Item]] = field(default_factory=list)

    def push(self, item: Item) -> None:
        heapq.heappush(self._future, (item.ready, item.conversation.id, item))

    def _release(self, now: float) -> None:
        while self._future and self._future[0][0] <= now:
            _, _, item = heapq.heappop(self._future)
            heapq.heappush(self._ready, (item.sort_key(), item))

    def next_item(self, now: float, window_end: float) -> tuple[float, Item] | None:
        """The item an agent free at `now` starts next (and when), or None before window_end."""
        while True:
            self._release(now)
            while self._ready and (self._ready[0][1].done or self._ready[0][1].deadline <= now):
                heapq.heappop(self._ready)  # answered elsewhere, or given up: the deadline sweep reports it
            if self._ready:
                return now, heapq.heappop(self._ready)[1]
            if not self._future or self._future[0][0] >= window_end:
                return None
            now = self._future[0][0]

    def load(self) -> DepartmentLoad:
        return DepartmentLoad(
            backlog=len(self), staffed_minutes=self.staffed_minutes, worked_minutes=self.worked_minutes
        )

    def __len__(self) -> int:
        return sum(1 for _, i in self._ready if not i.done) + sum(1 for _, _, i in self._future if not i.done)
