"""A strategy service's logic, free of any framework: bytes in, events or a dead letter out.

It validates each message, collects ticks with a `TickAssembler`, asks the pure `Policy` to
decide and returns what to publish. A fresh replication (a higher replication number) starts a
fresh policy, exactly as the in-process transport does. Kept apart from FastStream so that the
same code is unit-tested without a broker and driven by one in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import DeadLetter, Outbound, decode_inbound

from .assembler import TickAssembler
from .policy import Policy


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


class StrategyService:
    def __init__(self, strategy: Strategy, arm: str, run: str):
        self.strategy, self.arm, self.run = strategy, arm, run
        self.replication = -1
        self.policy = Policy(strategy, arm)
        self.assembler = TickAssembler()
        self.ticks_handled = 0

    def receive(self, records: list[Record]) -> Decisions:
        out = Decisions()
        for rec in records:
            reason = self._admit(rec)
            if reason:
                original = (rec.value or b"").decode("utf-8", errors="replace")
                out.dead_letters.append(DeadLetter(topic=rec.topic, partition=rec.partition, offset=rec.offset,
                                                   reason=reason, original=original))
        for batch in self.assembler.ready():
            reply = self.policy.handle(batch)
            self.ticks_handled += 1
            for event in (*reply.responses, *reply.broadcasts, reply.done):
                out.outbound.append(Outbound(run=self.run, replication=self.replication, event=event))
        return out

    def _admit(self, rec: Record) -> str | None:
        """Validate one record; return why it is unusable, or None once it is queued."""
        try:
            msg = decode_inbound(rec.value or b"")
        except msgspec.DecodeError as exc:
            return f"not a valid event: {exc}"
        if msg.run != self.run:
            return f"event for run {msg.run!r}, this service serves run {self.run!r}"
        if msg.replication < self.replication:
            return f"event for finished replication {msg.replication} (now {self.replication})"
        if msg.replication > self.replication:
            self.replication = msg.replication
            self.policy = Policy(self.strategy, self.arm)
            self.assembler = TickAssembler()
        self.assembler.add(msg.event)
        return None
