"""Who wants to talk about what, and when: candidate conversations drawn once per replication.

Every arm sees the same candidates (common random numbers). Each person has candidate posts at
the highest rate their state could ever give them; an arm keeps a candidate when its uniform
`u` falls under (current rate / highest rate) — Lewis–Shedler thinning. So a customer whom an
arm helped, and who now complains more readily (the squeaky wheel), posts a *superset* of what
the same customer posts in an arm that did not, and everything else stays aligned. Posting
times follow the world's hour-of-day activity profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsim.contracts.timeunits import DAYS_PER_MONTH, HOURS_PER_DAY, MINUTES_PER_DAY, MINUTES_PER_HOUR
from socialsim.contracts.vocabulary import INTENTS
from socialsim.contracts.world import World

from .arrays import Floats, Int8s, Int16s, Int32s
from .population import Population
from .rng import generator


@dataclass(frozen=True)
class Candidates:
    minute: Floats  # sorted ascending
    node: Int32s
    intent: Int8s  # index into INTENTS
    topic: Int16s  # index into world.topics
    u: Floats  # thinning uniform
    u_outcome: Floats  # uniform for this conversation's own outcome (helped, bought)
    u_wom: Floats  # uniform for whether the customer tells their followers

    def __len__(self) -> int:
        return len(self.minute)


def max_rate_multiplier(world: World) -> float:
    """The highest factor by which state can raise a person's posting rate."""
    return max(world.reactions.comeback_cap, 2.0)


def draw_candidates(world: World, pop: Population, seed: int, replication: int) -> Candidates:
    rng = generator(seed, replication, "candidates")
    segs = list(world.segments.values())
    topics = list(world.topics)
    rate = np.array([s.conversations_per_month for s in segs])[pop.segment] * max_rate_multiplier(world)
    counts = rng.poisson(rate * world.horizon.days / DAYS_PER_MONTH)
    node = np.repeat(np.arange(pop.size, dtype=np.int32), counts)
    total = len(node)
    hourly = np.asarray(world.activity_by_hour, dtype=float)
    day = rng.integers(0, world.horizon.days, total)
    hour = rng.choice(HOURS_PER_DAY, size=total, p=hourly / hourly.sum())
    minute = day * float(MINUTES_PER_DAY) + (hour + rng.random(total)) * float(MINUTES_PER_HOUR)
    intent = np.empty(total, dtype=np.int8)
    topic = np.empty(total, dtype=np.int16)
    seg_of = pop.segment[node]
    for s, seg in enumerate(segs):
        rows = np.flatnonzero(seg_of == s)
        iw = np.array([seg.intents.get(i, 0.0) for i in INTENTS])
        tw = np.array([seg.topics.get(t, 0.0) for t in topics])
        intent[rows] = rng.choice(len(INTENTS), size=len(rows), p=iw / iw.sum())
        topic[rows] = rng.choice(len(topics), size=len(rows), p=tw / tw.sum())
    u, u_outcome, u_wom = rng.random(total), rng.random(total), rng.random(total)
    order = np.lexsort((node, minute))
    return Candidates(
        minute=minute[order],
        node=node[order],
        intent=intent[order],
        topic=topic[order],
        u=u[order],
        u_outcome=u_outcome[order],
        u_wom=u_wom[order],
    )
