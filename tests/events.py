"""Hand-built events and strategies for unit tests: a conversation, a tick's close marker, a shipped
strategy with overrides. Ticks are an hour long, as in the shipped scenarios."""

from __future__ import annotations

from socialsim.configload import STRATEGY_DIR, load_strategy
from socialsim.contracts.events import Conversation, Kpis, TickClosed
from socialsim.contracts.strategy import Strategy

HOUR = 60.0  # one tick [minutes]


def conv(
    i: int, minute: float, intent="question", topic="t", kind="product", segment="s", value=10.0, followers=10
) -> Conversation:
    """Conversation `c<i>` by customer i, posted at `minute` (its tick follows from the minute)."""
    return Conversation(
        id=f"c{i}",
        tick=int(minute // HOUR),
        minute=minute,
        customer=i,
        segment=segment,
        topic=topic,
        topic_kind=kind,
        intent=intent,
        followers=followers,
        monthly_value_dollars=value,
    )


def closed(t: int, count: int, day_revenue: float = 0.0, final: bool = False) -> TickClosed:
    """The close marker of tick t, announcing `count` conversations."""
    kpis = Kpis(day=int(t * HOUR // 1440), last_day_revenue_dollars=day_revenue)
    return TickClosed(
        tick=t, start_minute=t * HOUR, end_minute=(t + 1) * HOUR, count=count, kpis=kpis, final=final
    )


def strategy(name: str, **overrides) -> Strategy:
    return load_strategy(STRATEGY_DIR / f"{name}.yaml", overrides)
