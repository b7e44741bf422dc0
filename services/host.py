"""A strategy service's logic, free of any framework: bytes in, events or a dead letter out.

It validates each message, collects ticks with a `TickAssembler` per replication, asks the pure
`Policy` of that replication to decide and returns what to publish. Each replication has its own
policy, exactly as the in-process transport has; after its final tick only that tick's events are
kept, to check redeliveries against (a forged marker may have closed it early). Kept
apart from FastStream so the same code is unit-tested without a broker and driven by one.

Anyone who can write to the topics can send anything, so every record is checked for meaning,
not only shape (the assembler's docstring says what a tick may hold). Policy state is only made
for a replication the run can have: 0 <= replication < MAX_REPLICATIONS (the scenario contract's
bound), starting at tick 0 (every replication does). The service cannot know how many
replications a run has, so a replication that stops advancing while others move on by more than
`idle_ticks` is forgotten: a run's replications advance together, so only a forged one can lag.
A forged event never reaches a policy silently: it is ignored and counted (`ignored`), dead-
lettered with the reason, or `receive` raises `EventConflict` and the service must stop.

Several instances of one strategy may read the same topics, each serving the replications it
was given (`owns`): an event of a replication another instance serves is ignored and counted, so
a stream's policy state lives on exactly one instance.

Recovery: after the last tick of every simulated day the host captures the replication's state
(`Decisions.snapshots`: the policy's state, the tick it covers and where in the conversations
topic the next tick begins), which the adapter stores; `restore` puts such a state back in a
fresh host, which then reads the ticks that followed again and answers them exactly as before
(the policy is a pure function of what it was shown). `restore(rep, None)` says a replication
is announced but has no snapshot yet: it starts at tick 0. Announced replications are never
forgotten as idle: while a replacement replays, one may lag another by a day or two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from socialsim.contracts.events import TickClosed, TickReply
from socialsim.contracts.scenario import Scenario
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.timeunits import MINUTES_PER_DAY
from socialsim.contracts.wire import DeadLetter, FromService, Outbound, dead_letter, decode_inbound, oversized

from .assembler import TickAssembler, TickConflict
from .policy import Policy


def _replications_bound() -> int:
    """The scenario contract's upper bound on replications (its `le`), so the two never disagree."""
    for constraint in Scenario.model_fields["replications"].metadata:
        le = getattr(constraint, "le", None)
        if isinstance(le, int):
            return le + 1
    raise RuntimeError("Scenario.replications has no upper bound")


MAX_REPLICATIONS = _replications_bound()  # replications are numbered 0 .. MAX_REPLICATIONS - 1
# [ticks] How far a replication may fall behind the most advanced live one before it is forgotten.
# Replications of a run advance in one lockstep, at most one tick apart at this service.
IDLE_TICKS = 16


class EventConflict(Exception):
    """The stream contradicts itself for one arm, replication and tick: stop rather than guess."""


class HostObserver(Protocol):
    """Measurement of a hosted strategy (telemetry implements it; the host never imports telemetry)."""

    def observe(
        self, arm: str, replication: int, policy: Policy, closed: TickClosed, reply: TickReply
    ) -> None: ...

    def dead_letter(self, arm: str, count: int = 1) -> None: ...


@dataclass
class Record:
    """What the service needs of a consumed Kafka record."""

    topic: str
    partition: int
    offset: int
    value: bytes | None


@dataclass(frozen=True)
class Snapshot:
    """One replication's state after the last tick of a simulated day (`StrategyService.restore`
    reads `state`), and where its next tick's events begin: the record after that tick's marker."""

    replication: int
    day: int
    tick: int
    final: bool
    topic: str
    partition: int
    next_offset: int
    state: bytes


@dataclass
class Decisions:
    outbound: list[Outbound] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)


class _StreamState(msgspec.Struct, array_like=True):
    """What `Snapshot.state` holds: the next tick to assemble, whether the final one was answered,
    and the policy's state (empty once final: an ended replication only checks redeliveries)."""

    next_tick: int
    final: bool
    policy: bytes


_encode_state = msgspec.msgpack.Encoder().encode
_decode_state = msgspec.msgpack.Decoder(_StreamState).decode


def is_day_end(closed: TickClosed) -> bool:
    """Whether `closed` is the last tick of a simulated day (or of the horizon)."""
    return closed.final or closed.end_minute % MINUTES_PER_DAY == 0


@dataclass
class _Replication:
    policy: Policy
    assembler: TickAssembler


class StrategyService:
    def __init__(
        self,
        strategy: Strategy,
        arm: str,
        run: str,
        meter: HostObserver | None = None,
        *,
        idle_ticks: int = IDLE_TICKS,
        owns: Callable[[int], bool] = lambda replication: True,
    ):
        """`meter`, if given, sees the policy after each tick and counts dead letters; `owns(rep)`
        says whether this instance serves replication `rep` of the run."""
        self.strategy, self.arm, self.run, self.meter = strategy, arm, run, meter
        self.idle_ticks, self.owns = idle_ticks, owns
        self.replications: dict[int, _Replication] = {}
        # replications past their final tick, with what it was answered with: a redelivery of that
        # tick is checked like any other, so a forged marker that closed it early cannot go unnoticed
        self.ended: dict[int, TickAssembler] = {}
        self.ignored: Counter[str] = Counter()  # events dropped as redelivery, by kind
        self.forgotten: set[int] = set()  # replications whose state was freed as idle
        self.announced: set[int] = set()  # replications known to be the run's: never idle (see module doc)
        self._markers: dict[int, Record] = {}  # per replication, the record of the tick's marker

    # ---- recovery ---------------------------------------------------------------------------
    def restore(self, rep: int, state: bytes | None) -> None:
        """Continue replication `rep` from a `Snapshot.state` (None: from tick 0). A replication
        this host already serves keeps its state. Raises msgspec.DecodeError or
        services.snapshot.SnapshotMismatch for a state that is not one of this strategy's."""
        self.announced.add(rep)
        self.forgotten.discard(rep)
        if state is None or rep in self.replications or rep in self.ended:
            return
        saved = _decode_state(state)
        assembler = TickAssembler(self.ignored, next_tick=saved.next_tick)
        if saved.final:
            self.ended[rep] = assembler
        else:
            policy = Policy.restore(self.strategy, self.arm, saved.policy)
            self.replications[rep] = _Replication(policy, assembler)

    def drop(self, rep: int) -> None:
        """Stop serving `rep` (another instance takes it over from its snapshot)."""
        self.replications.pop(rep, None)
        self.ended.pop(rep, None)
        self.announced.discard(rep)
        self._markers.pop(rep, None)

    def _snapshot(self, rep: int, closed: TickClosed, out: Decisions) -> None:
        marker = self._markers.get(rep)
        if marker is None:  # restored past this tick's marker: the next day's end snapshots it
            return
        state = self.replications.get(rep)
        saved = _StreamState(
            next_tick=closed.tick + 1,
            final=closed.final,
            policy=b"" if state is None else state.policy.snapshot(),
        )
        out.snapshots.append(
            Snapshot(
                replication=rep,
                day=int(closed.start_minute // MINUTES_PER_DAY),
                tick=closed.tick,
                final=closed.final,
                topic=marker.topic,
                partition=marker.partition,
                next_offset=marker.offset + 1,
                state=_encode_state(saved),
            )
        )

    @property
    def finished(self) -> set[int]:
        """Replications past their final tick."""
        return set(self.ended)

    def receive(self, records: list[Record]) -> Decisions:
        """Raises EventConflict (one line naming arm, replication and tick) when a tick cannot be
        answered truthfully; the policy state is then suspect and the service must stop."""
        out = Decisions()
        touched: set[int] = set()
        for rec in records:
            reason = self._admit(rec, touched, out)
            if reason:
                out.dead_letters.append(dead_letter(rec.topic, rec.partition, rec.offset, reason, rec.value))
        for rep in sorted(touched):
            self._answer(rep, out)
        self._forget_idle()
        if self.meter is not None and out.dead_letters:
            self.meter.dead_letter(self.arm, len(out.dead_letters))
        return out

    def _answer(self, rep: int, out: Decisions) -> None:
        """Let the policy answer every complete tick of `rep`; forget `rep` after its final tick."""
        state = self.replications.get(rep)
        if state is None:
            return
        for batch in state.assembler.ready():
            reply = state.policy.handle(batch)
            if self.meter is not None:
                self.meter.observe(self.arm, rep, state.policy, batch.closed, reply)
            events: list[FromService] = [*reply.responses, *reply.broadcasts, reply.done]
            for event in events:
                out.outbound.append(Outbound(run=self.run, replication=rep, event=event))
            if batch.closed.final:
                self.ended[rep] = self.replications.pop(rep).assembler
            if is_day_end(batch.closed):
                self._snapshot(rep, batch.closed, out)

    def _admit(self, rec: Record, touched: set[int], out: Decisions) -> str | None:
        """Validate one record; return why it is unusable, or None once it is queued or ignored."""
        raw = rec.value or b""
        too_big = oversized(raw)
        if too_big:
            return too_big
        try:
            msg = decode_inbound(raw)
        except msgspec.DecodeError as exc:
            return f"not a valid event: {exc}"
        if msg.run != self.run:
            return f"event for run {msg.run!r}, this service serves run {self.run!r}"
        rep, event = msg.replication, msg.event
        if not self.owns(rep):
            self.ignored["another instance's replication"] += 1
            return None
        state = self.replications.get(rep)
        if state is not None and event.tick > state.assembler.next_tick:
            self._answer(rep, out)  # one batch of records may hold a tick and the next one
            state = self.replications.get(rep)
        ended = self.ended.get(rep)
        if ended is not None:  # only a repeat of its ticks may come; checked like any other
            if event.tick >= ended.next_tick:
                final = ended.next_tick - 1
                return f"replication {rep}: event of tick {event.tick}, after its final tick {final}"
            assembler = ended
        else:
            if state is None:
                started = self._start(rep, event.tick)
                if isinstance(started, str):
                    return started
                state = started
            assembler = state.assembler
        taking_marker = isinstance(event, TickClosed) and event.tick == assembler.next_tick
        try:
            reason = assembler.add(event)
        except TickConflict as exc:
            raise EventConflict(f"arm {self.arm}, replication {rep}, {exc}") from None
        if reason:
            return f"replication {rep}: {reason}"
        if taking_marker:
            self._markers[rep] = rec
        touched.add(rep)
        return None

    def _start(self, rep: int, tick: int) -> _Replication | str:
        """Policy state for a replication not under way, or why it cannot be one of the run's."""
        if rep in self.forgotten and tick != 0:
            raise EventConflict(
                f"arm {self.arm}, replication {rep}, tick {tick}: the replication fell more than "
                f"{self.idle_ticks} ticks behind another one and was forgotten"
            )
        if not 0 <= rep < MAX_REPLICATIONS:
            return f"replication {rep}: replications are numbered 0 to {MAX_REPLICATIONS - 1}"
        if tick != 0:
            return f"replication {rep} is not under way and its first event is of tick {tick}, not 0"
        self.forgotten.discard(rep)
        state = self.replications[rep] = _Replication(
            Policy(self.strategy, self.arm), TickAssembler(self.ignored)
        )
        return state

    def _forget_idle(self) -> None:
        """Free the state of replications left behind by more than `idle_ticks` (see module doc)."""
        if not self.replications:
            return
        front = max(r.assembler.next_tick for r in self.replications.values())
        idle = [
            rep
            for rep, r in self.replications.items()
            if front - r.assembler.next_tick > self.idle_ticks and rep not in self.announced
        ]
        for rep in idle:
            del self.replications[rep]
            self.forgotten.add(rep)
