"""What a strategy learns from the stream over time: talk volume (listening), revenue (panic), value tiers.

Each is a small piece of policy state updated from events only, so a policy stays a pure
function of what it has been shown.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

from socialsim.contracts.events import Conversation, Kpis
from socialsim.contracts.strategy import Listening, Panic, Tiering


class TalkVolume:
    """Exponentially decaying conversation counts by segment and by topic."""

    def __init__(self, cfg: Listening):
        self.cfg = cfg
        self.segment: dict[str, float] = defaultdict(float)
        self.topic: dict[str, float] = defaultdict(float)
        self._minute = 0.0
        self._factors: tuple[dict[str, float], dict[str, float]] = ({}, {})
        self._silent = 0.0**cfg.strength  # factor of a key nobody has talked about (1 when strength is 0)

    def observe(self, conversations: list[Conversation], now: float) -> None:
        decay = 0.5 ** ((now - self._minute) / (self.cfg.half_life_days * 1440.0))
        self._minute = now
        segment, topic = self.segment, self.topic
        for counts in (segment, topic):
            for key in counts:
                counts[key] *= decay
        for c in conversations:
            segment[c.segment] += 1.0
            topic[c.topic] += 1.0
        if self.cfg.enabled:  # factors change once per tick: compute them here, not per conversation
            self._factors = (self._shares(self.segment), self._shares(self.topic))

    def _shares(self, counts: dict[str, float]) -> dict[str, float]:
        total = sum(counts.values())
        if total <= 0:
            return {}
        return {
            key: (n / total * len(counts)) ** self.cfg.strength for key, n in counts.items()
        }  # 1 = an even share

    def tables(self) -> tuple[tuple[dict[str, float], float], tuple[dict[str, float], float]]:
        """(factor by segment, factor of any other segment), and the same by topic: `segment_factor`
        and `topic_factor` for a whole tick's conversations at once (all 1 when disabled)."""
        segment, topic = self._factors if self.cfg.enabled else ({}, {})
        return (
            (segment, self._silent if segment else 1.0),
            (topic, self._silent if topic else 1.0),
        )

    def segment_factor(self, segment: str) -> float:
        return (
            self._factors[0].get(segment, self._silent if self._factors[0] else 1.0)
            if self.cfg.enabled
            else 1.0
        )

    def topic_factor(self, topic: str) -> float:
        return (
            self._factors[1].get(topic, self._silent if self._factors[1] else 1.0)
            if self.cfg.enabled
            else 1.0
        )


class RevenueWatch:
    """Marketing's view of trailing revenue against its target; says when to hit the panic button."""

    def __init__(self, cfg: Panic):
        self.cfg = cfg
        self.days: list[float] = []
        self._seen_day = 0

    def observe(self, kpis: Kpis) -> None:
        while self._seen_day < kpis.day:
            self._seen_day += 1
            if self._seen_day == kpis.day:
                self.days.append(kpis.last_day_revenue_dollars)

    @property
    def panicking(self) -> bool:
        w = self.cfg.window_days
        if not self.cfg.enabled or len(self.days) < 2 * w:
            return False
        opening = sum(self.days[:w]) / w
        trailing = sum(self.days[-w:]) / w
        return trailing < (1.0 + self.cfg.target_growth) * opening


class ValueTiers:
    """The top tier of customers seen so far, by monthly value or by followers.

    The cut is the value ranked `_rank(n)` (from 0, lowest first) of the n customers seen. It is
    kept with two heaps split at the cut, so a new customer costs O(log n) where inserting into a
    sorted list moved O(n) values; the cut only ever moves by the customers seen in one tick."""

    def __init__(self, cfg: Tiering):
        self.cfg = cfg
        self._seen: dict[int, float] = {}
        self._below: list[float] = []  # values ranked below the cut, negated: a max-heap
        self._above: list[float] = []  # the cut and the values ranked above it: a min-heap
        self._cut = math.inf

    def _rank(self, n: int) -> int:
        return min(n - 1, math.floor((1 - self.cfg.top_fraction) * n))

    def observe(self, conversations: list[Conversation]) -> None:
        if not self.cfg.enabled:
            return
        seen, below, above, by_value = self._seen, self._below, self._above, self.cfg.by == "value"
        new = False
        for c in conversations:
            if c.customer not in seen:
                value = c.monthly_value_dollars if by_value else float(c.followers)
                seen[c.customer] = value
                if above and value < above[0]:
                    heapq.heappush(below, -value)
                else:
                    heapq.heappush(above, value)
                new = True
        if not new:
            return
        rank = self._rank(len(below) + len(above))
        while len(below) > rank:
            heapq.heappush(above, -heapq.heappop(below))
        while len(below) < rank:
            heapq.heappush(below, -heapq.heappop(above))
        self._cut = above[0]

    def ranked(self) -> list[float]:
        """Every value seen, lowest first (what a snapshot writes)."""
        return sorted([-v for v in self._below] + self._above)

    def put_back(self, seen: dict[int, float], ranked: list[float], cut: float) -> None:
        """The state whose `_seen`, `ranked()` and cut these are."""
        self._seen, self._cut = seen, cut
        rank = self._rank(len(ranked)) if ranked else 0
        self._below = [-v for v in reversed(ranked[:rank])]  # ascending once negated: a heap
        self._above = ranked[rank:]

    def boost(self, c: Conversation) -> float:
        if not self.cfg.enabled:
            return 1.0
        value = c.monthly_value_dollars if self.cfg.by == "value" else float(c.followers)
        return self.cfg.priority_boost if value >= self._cut else 1.0
