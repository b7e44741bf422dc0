"""The SimPy model: every arm's world, in one or more replications, advancing in lockstep with the strategies.

Two actors, each a small generator with `env` passed explicitly:

* `lockstep` closes each tick: every arm publishes its conversations and a tick-closed marker
  through the transport, a replication at a time, then ingests its strategy's responses and
  broadcasts as each replication's complete (docs/architecture.md, "The lockstep").
* `daily_life` ends each day after its last tick closes: billing, churn, acquisitions, fatigue
  and trust drift. It waits on an event the lockstep fires, so a day never ends before its
  last hour has been answered.

Between two ticks nothing is in flight, so the lockstep can be frozen there (`Replications.freeze`)
and started again from that tick with a fresh SimPy environment (`start=`): SimPy's generators
cannot be saved, but at a tick boundary they hold nothing the worlds and policies do not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy
import simpy.rt

from socialsim.contracts.scenario import Scenario
from socialsim.contracts.timeunits import MINUTES_PER_DAY

from . import checkpoint
from .exogenous import draw_candidates
from .network import build_network
from .population import build_population
from .recorder import EventRows, Recorder, RowSink
from .rng import Counter
from .transport import Resumable, TickHandler, Transport, TransportError
from .world import ArmWorld, Shared


def draw_shared(scenario: Scenario, replication: int) -> Shared:
    """Everything the arms of a replication have in common (common random numbers)."""
    seed, world = scenario.seed, scenario.world
    pop = build_population(world, seed, replication)
    return Shared(
        replication=replication,
        population=pop,
        network=build_network(world, pop, seed, replication),
        candidates=draw_candidates(world, pop, seed, replication),
        counter=Counter(seed, replication),
    )


@dataclass
class Clock:
    tick_minutes: int
    ticks: int
    series_every_ticks: int = 1
    start: int = 0  # the first tick this lockstep runs (0, or the tick a resumed run goes on from)


@dataclass(frozen=True)
class Frozen:
    """A lockstep stopped between two ticks: everything it needs to go on from `tick`."""

    tick: int  # the next tick to run; every earlier tick and every day it ended are done
    # every world, the baselines' with their policies: until saved, it views the live worlds, so
    # it is good only until the lockstep goes on (`simulator.checkpoint.FrozenWorlds`)
    worlds: checkpoint.FrozenWorlds
    policies: bytes  # the transport's `snapshot()` of the strategies' state


class Stop(Exception):
    """Raised by a boundary hook to end the lockstep between two ticks (nothing half done)."""


Key = tuple[int, str]  # (replication, arm)
EventSink = Callable[[int, str, EventRows], None]  # sink(replication, arm, rows)
Watch = Callable[..., None]  # watch(tick, minute, worlds, final=False): measurement, never behaviour
# boundary(next tick, whether a day has just ended, freeze): called between two ticks; it may
# call freeze() to take the lockstep's state, and raise Stop to end the run there
Boundary = Callable[[int, bool, Callable[[], Frozen]], None]


@dataclass(frozen=True)
class Baseline:
    """A reference arm that every replication runs beside the strategies, on the same random
    numbers: `policy()` makes a fresh one per replication. It always runs in this process,
    whatever the transport, because it needs no service; the composition root chooses it, so
    the world never imports a policy."""

    name: str
    policy: Callable[[], TickHandler]
    wait_minutes: float  # how long its posts wait before their customers give up [minutes]


def _sink(event_sink: EventSink | None, rep: int, arm: str) -> RowSink | None:
    return None if event_sink is None else functools.partial(event_sink, rep, arm)


class Replications:
    """Several replications advancing together, on one tick at a time: each replication's tick is
    sent as soon as its worlds have closed it, and its replies applied as soon as they complete,
    so a networked transport's services can work while the world computes the rest
    (simulator.transport). Replications never interact; running them together changes no number."""

    def __init__(
        self,
        scenario: Scenario,
        replications: list[int],
        transport: Transport,
        keep_events: bool = True,
        series_every_ticks: int = 1,
        on_tick: Callable[[int, int], None] | None = None,
        shared: dict[int, Shared] | None = None,
        watch: Watch | None = None,
        pace_s_per_minute: float | None = None,
        event_sink: EventSink | None = None,
        baseline: Baseline | None = None,
        start: Frozen | None = None,
        boundary: Boundary | None = None,
    ):
        """`pace_s_per_minute` runs on SimPy's real-time environment: that many wall seconds per
        simulated minute (not strict: a slow tick is late, never an error). `event_sink(rep, arm,
        rows)` takes each arm's event rows in batches as they are recorded, in order, so they need
        not be held as Python tuples to the end. `baseline`, if given, runs as one more world per
        replication, keyed (replication, baseline.name), whose events are not kept. `start` goes
        on from a frozen lockstep (same scenario, replications and options) instead of tick 0;
        `boundary` is called between every two ticks (checkpoints, a requested stop)."""
        world = scenario.world
        self.scenario = scenario
        self.replications = replications
        self.transport = transport
        self.shared = shared or {rep: draw_shared(scenario, rep) for rep in replications}
        if baseline is not None and baseline.name in scenario.arms:
            raise ValueError(f"arms: {baseline.name!r} is the baseline's name; give the arm another name")
        self.baseline = baseline
        self.start = start
        if start is None:
            self.worlds, self.baselines = self._fresh(keep_events, event_sink)
        else:
            sinks = {(rep, arm): _sink(event_sink, rep, arm) for rep in replications for arm in scenario.arms}
            thawed = checkpoint.thaw(start.worlds, world, self.shared, sinks)
            self.worlds = {key: w for key, w in thawed.items() if isinstance(w, ArmWorld)}
            self.baselines = {key: w for key, w in thawed.items() if isinstance(w, tuple)}
        ticks = world.horizon.days * MINUTES_PER_DAY // world.horizon.tick_minutes
        first = 0 if start is None else start.tick
        self.clock = Clock(world.horizon.tick_minutes, ticks, series_every_ticks, first)
        self.on_tick = on_tick or (lambda tick, ticks: None)
        self.watch = watch or (lambda tick, minute, worlds, final=False: None)
        self.boundary = boundary or (lambda tick, day_ended, freeze: None)
        now = first * self.clock.tick_minutes
        self.env = (
            simpy.Environment(initial_time=now)
            if pace_s_per_minute is None
            else simpy.rt.RealtimeEnvironment(initial_time=now, factor=pace_s_per_minute, strict=False)
        )
        self.day_closed = self.env.event()
        # each replication's worlds, sent together as soon as they have closed a tick
        self._by_replication: dict[int, list[tuple[Key, ArmWorld]]] = {
            rep: [(key, w) for key, w in self.worlds.items() if key[0] == rep] for rep in replications
        }
        self._freezer: checkpoint.Freezer | None = None  # made at the first freeze, kept for the next

    def _fresh(
        self, keep_events: bool, event_sink: EventSink | None
    ) -> tuple[dict[Key, ArmWorld], dict[Key, tuple[ArmWorld, TickHandler]]]:
        world, shared, baseline = self.scenario.world, self.shared, self.baseline
        worlds = {
            (rep, arm): ArmWorld(
                world, shared[rep], Recorder(arm, rep, keep_events, _sink(event_sink, rep, arm))
            )
            for rep in self.replications
            for arm in self.scenario.arms
        }
        baselines = (
            {}
            if baseline is None
            else {
                (rep, baseline.name): (
                    ArmWorld(world, shared[rep], Recorder(baseline.name, rep, False)),
                    baseline.policy(),
                )
                for rep in self.replications
            }
        )
        return worlds, baselines

    def freeze(self, tick: int) -> Frozen:
        """The lockstep's state before `tick` (call only between ticks: from `boundary`, and save
        it there: it views the worlds until the lockstep goes on).

        Event rows not yet written are handed to their sinks first: pickling them would cost more
        than the rest of the state, and where rows are cut into batches changes no output."""
        if not isinstance(self.transport, Resumable):
            raise TypeError(f"transport {self.transport.name!r} cannot snapshot its strategies")
        for w in self.worlds.values():
            w.rec.flush()
        if self._freezer is None:
            self._freezer = checkpoint.Freezer(self.scenario.world, self.shared)
        worlds: checkpoint.Frozen = {**self.worlds, **self.baselines}
        return Frozen(tick, self._freezer.freeze(worlds), self.transport.snapshot())

    def everyone(self) -> dict[Key, ArmWorld]:
        """Every arm's world and every baseline's, for measurement and outcomes."""
        return {**self.worlds, **{key: w for key, (w, _) in self.baselines.items()}}

    def run(self) -> dict[Key, ArmWorld]:
        """Run to the horizon; returns every world, the baselines' included."""
        self.transport.open(self.scenario.arms, self.replications)
        try:
            if self.start is not None:
                if not isinstance(self.transport, Resumable):
                    raise TypeError(f"transport {self.transport.name!r} cannot restore its strategies")
                self.transport.restore(self.start.policies)
            self.env.process(self.lockstep(self.env))
            self.env.process(self.daily_life(self.env))
            self.env.run(until=self.clock.ticks * self.clock.tick_minutes + 1)
            for w in self.worlds.values():
                w.rec.flush()
            self.watch(
                self.clock.ticks - 1,
                float(self.clock.ticks * self.clock.tick_minutes),
                self.everyone(),
                final=True,
            )
        finally:
            self.transport.close()
        return self.everyone()

    def lockstep(self, env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        c = self.clock
        for tick in range(c.start, c.ticks):
            yield env.timeout(c.tick_minutes)
            if tick > c.start:  # every earlier tick is done, and the day it may have ended
                day_ended = tick * c.tick_minutes % MINUTES_PER_DAY == 0
                self.boundary(tick, day_ended, functools.partial(self.freeze, tick))
                if self._freezer is not None:
                    self._freezer.expire()  # a freeze taken there no longer views the worlds
            start, end = tick * c.tick_minutes, (tick + 1) * c.tick_minutes
            day, final = start // MINUTES_PER_DAY, tick == c.ticks - 1
            for worlds in self._by_replication.values():
                self.transport.send({key: w.close_tick(tick, start, end, day, final) for key, w in worlds})
            for w, policy in self.baselines.values():  # while the strategies answer the arms
                w.apply(policy.handle(w.close_tick(tick, start, end, day, final)), tick)
            self._apply(tick)
            if end % MINUTES_PER_DAY == 0:  # daily_life takes the snapshot once the day has ended
                fired, self.day_closed = self.day_closed, env.event()
                fired.succeed((day, tick))
            else:
                self._snapshot(tick, float(end))
            self.on_tick(tick, c.ticks)
            self.watch(tick, float(end), self.everyone())

    def _apply(self, tick: int) -> None:
        """Each replication's replies as the transport completes them, in any order: a world's
        numbers depend only on its own replies, so the order replications complete in changes none."""
        unanswered = set(self.worlds)
        for replies in self.transport.replies():
            for key, reply in replies.items():
                self.worlds[key].apply(reply, tick)
                unanswered.remove(key)
        if unanswered:
            raise TransportError(f"tick {tick}: the transport returned no reply for {sorted(unanswered)}")

    def _snapshot(self, tick: int, minute: float) -> None:
        if tick % self.clock.series_every_ticks == 0 or tick == self.clock.ticks - 1:
            for w in self.worlds.values():
                w.rec.series.append(w.snapshot(tick, minute))

    def daily_life(self, env: simpy.Environment) -> Generator[simpy.Event, tuple[int, int], None]:
        """Receives (day, last tick of the day) from the lockstep's day-closed event."""
        while True:
            day, tick = yield self.day_closed
            for w in self.everyone().values():
                w.end_of_day(day, tick)
            self._snapshot(tick, (day + 1) * float(MINUTES_PER_DAY))
