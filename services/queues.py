"""A department's work queue: a pool of agents on shift serving posts non-preemptively (M/G/c).

One agent handles one post for its whole handle time; a department of c agents answers up to c
posts at once. Headcount is staff hours per day over shift hours, and a fractional headcount is
whole agents on shift for the whole shift plus one *part-time agent* (`PART_TIME_RULE`) who works
the first `fraction` of every `PART_TIME_BLOCK_MINUTES` of the shift: 6 staff hours on a 12-hour
shift are an agent on social for the first 30 minutes of every hour. Spreading the share evenly
keeps every hour of the shift covered, as the staff hours were before, without deciding which
hours matter more.

Why a small event loop instead of "sort the tick and work down the list": sorting a whole tick
by priority would let agents answer a high-priority post before it was written. Here an agent
that becomes free at time t takes the best item *already posted* at t, so a tick's length never
changes who waits how long. Agents are taken in order of when they become free (the lower
index first at a tie), so every run makes the same choices.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush

import msgspec

from socialsim.contracts.events import Conversation
from socialsim.contracts.vocabulary import Department, Need

# How a fractional headcount is staffed: one part-time agent, on for the first `fraction` of every
# block of the shift (blocks counted from the shift's start).
PART_TIME_RULE = "part-time agent for the first fraction of every block of the shift"
PART_TIME_BLOCK_MINUTES = 60.0  # [minutes]
_WHOLE = 1e-9  # staff hours are decimals: 22 / 12 * 12 must give back whole agents exactly
# A department's ready heap drops a post answered elsewhere or given up only when it reaches the top,
# so in a busy department low-priority posts their customers gave up on would stay in it for the rest
# of the run: memory growing with simulated time. Once the heap has grown to this many times its
# size after the last sweep, it is rebuilt without them (amortised O(1) a post) [ratio].
READY_SWEEP_GROWTH = 2
READY_SWEEP_MIN = 1024  # a heap this small is never swept [posts]


class Item(msgspec.Struct, gc=False):
    """One post as a policy holds it from admission to its answer or give-up.

    A msgspec struct rather than a dataclass: one is built per conversation, and msgspec builds it
    in C at about half the cost. `gc=False` keeps the garbage collector from tracking the hundreds
    of thousands alive at once (it never needs to: an item refers only to its conversation, which
    refers to nothing, so no item can be part of a reference cycle)."""

    conversation: Conversation
    need: Need
    priority: float
    ready: float  # simulated minute from which the department can pick it up
    deadline: float  # simulated minute after which the customer gives up
    handoffs: int = 0
    done: bool = False


@dataclass(frozen=True)
class DepartmentLoad:
    """A department's figures at one moment, for measurement."""

    backlog: int  # conversations waiting [conversations]
    staffed_minutes: float  # agent time on shift so far [agent-minutes]
    worked_minutes: float  # agent time spent handling conversations so far [agent-minutes]


@dataclass
class Agent:
    share: float  # of each block of the shift this agent works, from the block's start [fraction]
    free_at: float = 0.0  # simulated minute its current post is done [minutes]

    def windows(self, open_: float, close: float, shift_start: float) -> list[tuple[float, float]]:
        """The parts of [open_, close) this agent is on shift for (the shift started at `shift_start`)."""
        if self.share >= 1.0:
            return [(open_, close)] if open_ < close else []
        out = []
        block = shift_start + ((open_ - shift_start) // PART_TIME_BLOCK_MINUTES) * PART_TIME_BLOCK_MINUTES
        while block < close:
            start, end = max(open_, block), min(close, block + self.share * PART_TIME_BLOCK_MINUTES)
            if start < end:
                out.append((start, end))
            block += PART_TIME_BLOCK_MINUTES
        return out


def agents_for(headcount: float) -> list[Agent]:
    """Whole agents for the whole shift, and the fraction as a part-time agent (`PART_TIME_RULE`)."""
    whole = math.floor(headcount + _WHOLE)
    part = headcount - whole
    return [Agent(1.0) for _ in range(whole)] + ([Agent(part)] if part > _WHOLE else [])


class Deadlines:
    """When each customer waiting for an answer gives up: every post is watched from the moment it
    is admitted, and reported once its deadline has passed unless it was answered first.

    A policy admits posts in time order with one patience, so deadlines nearly always arrive in
    order: they are appended to a queue (O(1) per post rather than a heap's O(log n)); the rare
    one out of order is inserted where it belongs."""

    def __init__(self) -> None:
        self._queue: deque[Item] = deque()

    def watch(self, item: Item) -> None:
        queue = self._queue
        if queue and item.deadline < queue[-1].deadline:
            at = len(queue) - 1
            while at > 0 and queue[at - 1].deadline > item.deadline:
                at -= 1
            queue.insert(at, item)
        else:
            queue.append(item)

    def watch_all(self, items: list[Item]) -> None:
        """Posts admitted together in the order written, so with their deadlines in order (one
        patience): one O(1) step for the batch unless it starts before the last deadline watched."""
        queue = self._queue
        if queue and items and items[0].deadline < queue[-1].deadline:
            for item in items:
                self.watch(item)
        else:
            queue.extend(items)

    def due(self, end: float, final: bool) -> list[tuple[Item, float]]:
        """Posts given up by `end` (every one still open on the final tick), with the minute each
        was given up, marked done; earliest first."""
        out = []
        queue = self._queue
        while queue and (final or queue[0].deadline <= end):
            item = queue.popleft()
            if not item.done:
                item.done = True
                out.append((item, min(item.deadline, end) if final else item.deadline))
        return out


# work(item, start) -> agent minutes: what the policy does with the post an agent took at `start`
Work = Callable[[Item, float], float]
# A post in a department's ready heap: its sort key (-priority, minute written, conversation id),
# then the item. Sort keys are unique in a queue (a post enters a department once), so the item
# itself is never compared.
Entry = tuple[float, float, str, Item]


def ready_entry(item: Item) -> Entry:
    """`item` as its department's ready heap orders it: highest priority, then oldest, first."""
    c = item.conversation
    return (-item.priority, c.minute, c.id, item)


@dataclass
class DepartmentQueue:
    """Posts wait in `_arrivals` or `_future` until they are written (or handed over), then in the
    `_ready` heap by priority. Most posts come straight from the stream, in the order written: they
    queue in `_arrivals` (O(1) each, already as ready entries); posts handed over from another
    department, or that would break that order, wait in the `_future` heap by ready minute. Which
    structure a post waits in never changes which post `take` returns: the ready heap orders by
    unique sort keys, whatever order posts reach it in."""

    name: Department
    headcount: float  # agents on shift, from staff hours per day / shift hours [agents]
    agents: list[Agent] = field(init=False)
    staffed_minutes: float = 0.0  # agent-minutes on shift so far (read by measurement only)
    worked_minutes: float = 0.0  # agent-minutes spent handling conversations so far (measurement only)
    _arrivals: deque[Entry] = field(default_factory=deque)  # ready minute (entry[1]) non-decreasing
    _future: list[tuple[float, str, Item]] = field(default_factory=list)
    _ready: list[Entry] = field(default_factory=list)
    _sweep_at: int = READY_SWEEP_MIN  # `_ready`'s size that triggers the next sweep [posts]

    def __post_init__(self) -> None:
        self.agents = agents_for(self.headcount)

    def push(self, item: Item) -> None:
        """A post this department can pick up from `item.ready` on (a handover, say)."""
        heappush(self._future, (item.ready, item.conversation.id, item))

    def arrive(self, items: list[Item]) -> None:
        """Posts from the stream, ready when written (`ready` is the conversation's minute), in the
        order written."""
        arrivals = self._arrivals
        if arrivals and items and items[0].ready < arrivals[-1][1]:  # out of order: never in a run
            for item in items:
                self.push(item)
            return
        arrivals.extend(map(ready_entry, items))

    def _sweep(self) -> None:
        """Drop the posts already done from `_ready`. Which post `take` returns does not change: it
        skips done posts anyway, and sort keys are unique, so the heap's order of the rest does not
        depend on its layout."""
        self._ready = [entry for entry in self._ready if not entry[3].done]
        heapify(self._ready)
        self._sweep_at = max(READY_SWEEP_MIN, READY_SWEEP_GROWTH * len(self._ready))

    def take(self, now: float) -> Item | None:
        """The best post already written at `now` and still wanted, taken off the queue, or None."""
        ready, arrivals, future = self._ready, self._arrivals, self._future
        if arrivals:
            popleft = arrivals.popleft
            while arrivals and arrivals[0][1] <= now:
                heappush(ready, popleft())
        while future and future[0][0] <= now:
            heappush(ready, ready_entry(heappop(future)[2]))
        if len(ready) >= self._sweep_at:
            self._sweep()
            ready = self._ready
        while ready:
            item = heappop(ready)[3]
            if not item.done and item.deadline > now:
                return item
            # else answered elsewhere, or given up: the deadline sweep reports it
        return None

    def next_arrival(self) -> float | None:
        """When the next post not yet written (or not yet handed over) arrives, if any."""
        arrivals, future = self._arrivals, self._future
        if arrivals and future:
            return min(arrivals[0][1], future[0][0])
        if arrivals:
            return arrivals[0][1]
        return future[0][0] if future else None

    def serve(self, open_: float, close: float, shift_start: float, work: Work) -> None:
        """Let every agent work the parts of [open_, close) it is on shift for (`Agent.windows`; the
        shift started at `shift_start`). The agent free earliest takes the next post; a post started
        before an agent's window ends is finished even after it (non-preemptive)."""
        free: list[tuple[float, int, float]] = []  # (from when, agent, until when)
        agents, staffed = self.agents, self.staffed_minutes
        for k, agent in enumerate(agents):
            for start, end in agent.windows(open_, close, shift_start):
                staffed += end - start
                free.append((start, k, end))
        self.staffed_minutes = staffed
        heapify(free)
        take, worked = self.take, self.worked_minutes  # added to in the same order as one by one
        while free:
            now, k, end = heappop(free)
            agent = agents[k]
            free_at = agent.free_at
            if free_at > now:  # still on a post from an earlier window: free later, if in time
                if free_at < end:
                    heappush(free, (free_at, k, end))
                continue
            item = take(now)
            if item is None:  # idle until the next post arrives, if that is before its window closes
                arrival = self.next_arrival()
                if arrival is not None and arrival < end:
                    heappush(free, (arrival, k, end))
                continue
            minutes = work(item, now)
            worked += minutes
            agent.free_at = free_at = now + minutes
            if free_at < end:
                heappush(free, (free_at, k, end))
        self.worked_minutes = worked

    def load(self) -> DepartmentLoad:
        return DepartmentLoad(
            backlog=len(self), staffed_minutes=self.staffed_minutes, worked_minutes=self.worked_minutes
        )

    def __len__(self) -> int:
        entries = (*self._arrivals, *self._ready)
        return sum(1 for e in entries if not e[3].done) + sum(1 for _, _, i in self._future if not i.done)
