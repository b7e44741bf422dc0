"""A world applies each response once: a reply repeated, or a response repeated within one reply
(a redelivered message), changes no figure. Numbers must not depend on how often a transport
delivers what a strategy decided."""

from __future__ import annotations

import msgspec
import numpy as np

from services.policy import Policy
from simulator.model import draw_shared
from simulator.recorder import Recorder
from simulator.world import ArmWorld
from socialsim.contracts.events import TickReply
from tests.conftest import small

TICKS = 48  # two days of hourly ticks: nights, mornings and their backlog [ticks]


def _run(repeat: int) -> ArmWorld:
    """One arm's world for `TICKS` ticks, each reply's responses given `repeat` times over, and
    each reply applied `repeat` times."""
    sc = small(customers=1000)
    arm = "support-led"
    strategy = sc.arms[arm]
    world = ArmWorld(sc.world, draw_shared(sc, 0), Recorder(arm, 0, keep_events=True))
    policy = Policy(strategy, arm)
    minutes = sc.world.horizon.tick_minutes
    for tick in range(TICKS):
        start, end = tick * minutes, (tick + 1) * minutes
        reply = policy.handle(world.close_tick(tick, start, end, start // 1440, tick == TICKS - 1))
        repeated = TickReply(
            responses=[r for r in reply.responses for _ in range(repeat)],
            broadcasts=reply.broadcasts,
            done=reply.done,
        )
        world.apply(repeated, tick)
        for _ in range(repeat - 1):  # broadcasts are not repeated: a new one is another decision
            world.apply(msgspec.structs.replace(repeated, broadcasts=[]), tick)
    return world


def test_repeated_responses_change_nothing() -> None:
    once, thrice = _run(1), _run(3)
    assert once.rec.answered > 10  # the strategy answered: the comparison compares something
    assert np.array_equal(once.customers.trust, thrice.customers.trust)
    assert once.rec.rows == thrice.rec.rows
    assert (once.rec.answered, once.rec.helped, once.rec.revenue_dollars) == (
        thrice.rec.answered,
        thrice.rec.helped,
        thrice.rec.revenue_dollars,
    )
