"""The SimPy model: every arm's world, in one or more replications, advancing in lockstep with the strategies.

Two actors, each a small generator with `env` passed explicitly:

* `lockstep` closes each tick: every arm publishes its conversations and a tick-closed marker
  through the transport, then ingests its strategy's responses and broadcasts
  (docs/architecture.md, "The lockstep").
* `daily_life` ends each day after its last tick closes: billing, churn, acquisitions, fatigue
  and trust drift. It waits on an event the lockstep fires, so a day never ends before its
  last hour has been answered.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy
import simpy.rt

from socialsim.contracts.scenario import Scenario
from socialsim.contracts.timeunits import MINUTES_PER_DAY

from .exogenous import draw_candidates
from .network import build_network
from .population import build_population
from .recorder import EventRows, Recorder, RowSink
from .rng import Counter
from .transport import TickHandler, Transport
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


Key = tuple[int, str]  # (replication, arm)
EventSink = Callable[[int, str, EventRows], None]  # sink(replication, arm, rows)
Watch = Callable[..., None]  # watch(tick, minute, worlds, final=False): measurement, never behaviour


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
    """Several replications advancing together: one exchange per tick carries all of them, so a
    networked transport pays its round trip once per tick rather than once per replication.
    Replications never interact; running them together changes no number."""

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
    ):
        """`pace_s_per_minute` runs on SimPy's real-time environment: that many wall seconds per
        simulated minute (not strict: a slow tick is late, never an error). `event_sink(rep, arm,
        rows)` takes each arm's event rows in batches as they are recorded, in order, so they need
        not be held as Python tuples to the end. `baseline`, if given, runs as one more world per
        replication, keyed (replication, baseline.name), whose events are not kept."""
        world = scenario.world
        self.scenario = scenario
        self.replications = replications
        self.transport = transport
        shared = shared or {rep: draw_shared(scenario, rep) for rep in replications}
        self.worlds: dict[Key, ArmWorld] = {
            (rep, arm): ArmWorld(
                world, shared[rep], Recorder(arm, rep, keep_events, _sink(event_sink, rep, arm))
            )
            for rep in replications
            for arm in scenario.arms
        }
        if baseline is not None and baseline.name in scenario.arms:
            raise ValueError(f"arms: {baseline.name!r} is the baseline's name; give the arm another name")
        self.baseline = baseline
        self.baselines: dict[Key, tuple[ArmWorld, TickHandler]] = (
            {}
            if baseline is None
            else {
                (rep, baseline.name): (
                    ArmWorld(world, shared[rep], Recorder(baseline.name, rep, False)),
                    baseline.policy(),
                )
                for rep in replications
            }
        )
        ticks = world.horizon.days * MINUTES_PER_DAY // world.horizon.tick_minutes
        self.clock = Clock(world.horizon.tick_minutes, ticks, series_every_ticks)
        self.on_tick = on_tick or (lambda tick, ticks: None)
        self.watch = watch or (lambda tick, minute, worlds, final=False: None)
        self.env = (
            simpy.Environment()
            if pace_s_per_minute is None
            else simpy.rt.RealtimeEnvironment(factor=pace_s_per_minute, strict=False)
        )
        self.day_closed = self.env.event()

    def everyone(self) -> dict[Key, ArmWorld]:
        """Every arm's world and every baseline's, for measurement and outcomes."""
        return {**self.worlds, **{key: w for key, (w, _) in self.baselines.items()}}

    def run(self) -> dict[Key, ArmWorld]:
        """Run to the horizon; returns every world, the baselines' included."""
        self.transport.open(self.scenario.arms, self.replications)
        try:
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
        for tick in range(c.ticks):
            yield env.timeout(c.tick_minutes)
            start, end = tick * c.tick_minutes, (tick + 1) * c.tick_minutes
            day, final = start // MINUTES_PER_DAY, tick == c.ticks - 1
            batches = {key: w.close_tick(tick, start, end, day, final) for key, w in self.worlds.items()}
            replies = self.transport.exchange(batches)
            for key, w in self.worlds.items():
                w.apply(replies[key], tick)
            for w, policy in self.baselines.values():
                w.apply(policy.handle(w.close_tick(tick, start, end, day, final)), tick)
            if end % MINUTES_PER_DAY == 0:  # daily_life takes the snapshot once the day has ended
                fired, self.day_closed = self.day_closed, env.event()
                fired.succeed((day, tick))
            else:
                self._snapshot(tick, float(end))
            self.on_tick(tick, c.ticks)
            self.watch(tick, float(end), self.everyone())

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
