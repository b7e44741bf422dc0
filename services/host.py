"""A strategy service's logic, free of any framework: bytes in, events or a dead letter out.

It validates each message, collects ticks with a `TickAssembler` per replication, asks the pure
`Policy` of that replication to decide and returns what to publish. Each replication has its own
policy, exactly as the in-process transport has, and is forgotten after its final tick. Kept
apart from FastStream so the same code is unit-tested without a broker and driven by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from socialsim.contracts.events import TickClosed, TickReply
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import DeadLetter, Outbound, decode_inbound

from .assembler import TickAssembler
from .policy import Policy


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


@dataclass
class Decisions:
    outbound: list[Outbound] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


@dataclass
class _Replication:
    policy: Policy
    assembler: TickAssembler = field(default_factory=TickAssembler)


class StrategyService:
    def __init__(self, strategy: Strategy, arm: str, run: str, meter: HostObserver | None = None):
        """`meter`, if given, sees the policy after each tick and counts dead letters."""
        self.strategy, self.arm, self.run, self.meter = strategy, arm, run, meter
        self.replications: dict[int, _Replication] = {}
        self.finished: set[int] = set()

    def receive(self, records: list[Record]) -> Decisions:
        out = Decisions()
        touched: list[int] = []
        for rec in records:
            reason = self._admit(rec, touched)
            if reason:
                original = (rec.value or b"").decode("utf-8", errors="replace")
                out.dead_letters.append(
                    DeadLetter(
                        topic=rec.topic,
                        partition=rec.partition,
                        offset=rec.offset,
                        reason=reason,
                        original=original,
                    )
                )
        for rep in sorted(set(touched)):
            state = self.replications[rep]
            for batch in state.assembler.ready():
                reply = state.policy.handle(batch)
                if self.meter is not None:
                    self.meter.observe(self.arm, rep, state.policy, batch.closed, reply)
                for event in (*reply.responses, *reply.broadcasts, reply.done):
                    out.outbound.append(Outbound(run=self.run, replication=rep, event=event))
                if batch.closed.final:
                    self.finished.add(rep)
                    del self.replications[rep]
                    break
        if self.meter is not None and out.dead_letters:
            self.meter.dead_letter(self.arm, len(out.dead_letters))
        return out

    def _admit(self, rec: Record, touched: list[int]) -> str | None:
        """Validate one record; return why it is unusable, or None once it is queued."""
        try:
            msg = decode_inbound(rec.value or b"")
        except msgspec.DecodeError as exc:
            return f"not a valid event: {exc}"
        if msg.run != self.run:
            return f"event for run {msg.run!r}, this service serves run {self.run!r}"
        if msg.replication in self.finished:
            return None  # a redelivered event of a replication already completed: changes nothing
        state = self.replications.get(msg.replication)
        if state is None:
            state = self.replications[msg.replication] = _Replication(Policy(self.strategy, self.arm))
        state.assembler.add(msg.event)
        touched.append(msg.replication)
        return None
