"""What a strategy learns from the stream over time: talk volume (listening), revenue (panic), value tiers.

Each is a small piece of policy state updated from events only, so a policy stays a pure
function of what it has been shown.
"""

from __future__ import annotations

import bisect
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
        for counts in (self.segment, self.topic):
            for key in counts:
                counts[key] *= decay
        for c in conversations:
            self.segment[c.segment] += 1.0
            self.topic[c.topic] += 1.0
        if self.cfg.enabled:  # factors change once per tick: compute them here, not per conversation
            self._factors = (self._shares(self.segment), self._shares(self.topic))

    def _shares(self, counts: dict[str, float]) -> dict[str, float]:
        total = sum(counts.values())
        if total <= 0:
            return {}
        return {
            key: (n / total * len(counts)) ** self.cfg.strength for key, n in counts.items()
        }  # 1 = an even share

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
    """The top tier of customers seen so far, by monthly value or by followers."""

    def __init__(self, cfg: Tiering):
        self.cfg = cfg
        self._seen: dict[int, float] = {}
        self._sorted: list[float] = []
        self._cut = math.inf

    def observe(self, conversations: list[Conversation]) -> None:
        if not self.cfg.enabled:
            return
        for c in conversations:
            if c.customer not in self._seen:
                value = c.monthly_value_dollars if self.cfg.by == "value" else float(c.followers)
                self._seen[c.customer] = value
                bisect.insort(self._sorted, value)
        if self._sorted:
            self._cut = self._sorted[
                min(len(self._sorted) - 1, math.floor((1 - self.cfg.top_fraction) * len(self._sorted)))
            ]

    def boost(self, c: Conversation) -> float:
        if not self.cfg.enabled:
            return 1.0
        value = c.monthly_value_dollars if self.cfg.by == "value" else float(c.followers)
        return self.cfg.priority_boost if value >= self._cut else 1.0
