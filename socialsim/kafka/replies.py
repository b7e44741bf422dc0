"""What the simulator sent each (replication, arm) and what came back: replies checked for meaning.

The simulator knows exactly which conversations it published, for which replication, arm and
tick, so a reply is only taken if it answers one of them that is still unanswered; anything else
on a responses topic is ignored and counted (an identical repeat, an older tick), dead-lettered
with a reason (a conversation never sent, a tick not yet sent, a replication not in flight), or
is a contradiction that fails the run at once with one line (`ReplyConflict`). Pure bookkeeping
without Kafka, so the transport, the unit tests and the fuzzer drive the same code.

Contradictions: two different tick-done markers or two different answers to one conversation;
more distinct replies than the tick-done announces; a reply to a tick whose count was already met
(its place was taken by another); a conversation left unanswered after the final tick (every
policy answers every conversation by then). A reply whose count can only be met by replies that
answer nothing this run sent is a contradiction too, once `settle` says it has not resolved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

from simulator.transport import Key, TransportError
from socialsim.contracts.events import Broadcast, Response, TickBatch, TickDone, TickReply
from socialsim.contracts.wire import Outbound, decode_outbound, oversized


class ReplyConflict(TransportError):
    """The replies of one arm, replication and tick contradict what was sent or each other."""


@dataclass
class _Tick:
    """One arm's reply to the tick being collected, as it arrives in any order."""

    responses: dict[str, Response] = field(default_factory=dict)  # by conversation id
    broadcasts: dict[str, Broadcast] = field(default_factory=dict)  # by broadcast id
    unmatched: set[str] = field(default_factory=set)  # conversation ids answered that were never sent
    done: TickDone | None = None

    def complete(self) -> bool:
        d = self.done
        return d is not None and len(self.responses) == d.responses and len(self.broadcasts) == d.broadcasts

    def progress(self) -> str:
        if self.done is None:
            return f"no tick-done marker yet, {len(self.responses)} responses"
        return (
            f"{len(self.responses)}/{self.done.responses} responses, "
            f"{len(self.broadcasts)}/{self.done.broadcasts} broadcasts"
        )

    def reply(self) -> TickReply:
        assert self.done is not None
        responses = sorted(self.responses.values(), key=lambda r: (r.minute, r.conversation_id))
        broadcasts = sorted(self.broadcasts.values(), key=lambda b: _sequence(b.id))
        return TickReply(responses=responses, broadcasts=broadcasts, done=self.done)


def _sequence(broadcast_id: str) -> int:
    """A policy numbers its broadcasts `<arm>:b:<n>`; their order is n's."""
    return int(broadcast_id.rsplit(":", 1)[1])


@dataclass
class _Arm:
    """One (replication, arm) over a lockstep group: everything sent, everything taken."""

    sent: dict[str, int] = field(default_factory=dict)  # conversation id -> customer
    unanswered: set[str] = field(default_factory=set)
    answers: dict[str, Response] = field(default_factory=dict)  # taken, by conversation id
    broadcasts: dict[str, Broadcast] = field(default_factory=dict)  # taken, by id
    dones: dict[int, TickDone] = field(default_factory=dict)  # taken, by tick
    tick: _Tick = field(default_factory=_Tick)
    collecting: bool = False  # its reply to the latest tick sent is not yet taken


class ReplyLedger:
    def __init__(self, run: str) -> None:
        self.run = run
        self.ignored: Counter[str] = Counter()  # replies dropped as repeats or stale, by kind
        self.tick = -1
        self.final = False
        self._arms: dict[Key, _Arm] = {}
        self._past: set[int] = set()  # replications of earlier lockstep groups

    def open(self, replications: list[int]) -> None:
        """A new lockstep group (its ticks restart at 0): forget the previous one's conversations."""
        self._past |= {rep for rep, _ in self._arms}
        self._arms = {}
        self._past -= set(replications)

    def sent(self, batches: dict[Key, TickBatch]) -> None:
        """Record one tick of some (replication, arm)s as published; collecting their replies
        starts. Replications are sent one at a time, all on the same tick, before any is taken."""
        self.tick = next(iter(batches.values())).closed.tick
        self.final = any(b.closed.final for b in batches.values())
        for k, batch in batches.items():
            arm = self._arms.setdefault(k, _Arm())
            for c in batch.conversations:
                arm.sent[c.id] = c.customer
                arm.unanswered.add(c.id)
            arm.tick = _Tick()
            arm.collecting = True

    def ready(self) -> list[int]:
        """Replications being collected whose every arm's reply is in; raises ReplyConflict when
        one never can be."""
        collecting, waiting = set(), set()
        for k, arm in self._arms.items():
            if not arm.collecting:
                continue
            t = arm.tick
            d = t.done
            if d is not None and (len(t.responses) > d.responses or len(t.broadcasts) > d.broadcasts):
                raise self._conflict(
                    k, self.tick, f"more distinct replies than its tick-done announces ({t.progress()})"
                )
            collecting.add(k[0])
            if not t.complete():
                waiting.add(k[0])
        return sorted(collecting - waiting)

    def collecting(self) -> set[int]:
        """Replications sent the latest tick whose replies are not yet taken."""
        return {rep for (rep, _), arm in self._arms.items() if arm.collecting}

    def complete(self) -> bool:
        """Whether every reply being collected is in; raises ReplyConflict when one never can be."""
        return len(self.ready()) == len(self.collecting())

    def unsettled(self) -> list[str]:
        """Arms whose announced count is reached only by counting replies to unsent conversations."""
        out = []
        for (rep, arm_name), arm in sorted(self._arms.items()):
            if not arm.collecting:
                continue
            t = arm.tick
            reached = t.done is not None and len(t.responses) + len(t.unmatched) >= t.done.responses
            if t.unmatched and reached and not t.complete():
                out.append(
                    f"arm {arm_name}, replication {rep}, tick {self.tick}: the tick-done announces "
                    f"{t.progress()}: {len(t.unmatched)} more answer conversations never sent"
                )
        return out

    def progress(self) -> dict[Key, str]:
        waiting = [(k, arm) for k, arm in self._arms.items() if arm.collecting and not arm.tick.complete()]
        return {k: arm.tick.progress() for k, arm in waiting}

    def replies(self, replications: Iterable[int] | None = None) -> dict[Key, TickReply]:
        """The collected replies of `replications` (all being collected by default) in canonical
        order; they become what later repeats are checked against."""
        taken = self.collecting() if replications is None else set(replications)
        out = {}
        for k, arm in self._arms.items():
            if k[0] not in taken or not arm.collecting:
                continue
            arm.collecting = False
            t = arm.tick
            out[k] = t.reply()
            arm.answers.update(t.responses)
            arm.unanswered -= t.responses.keys()
            arm.broadcasts.update(t.broadcasts)
            arm.dones[self.tick] = out[k].done
            if self.final and arm.unanswered:
                raise self._conflict(
                    k, self.tick, f"{len(arm.unanswered)} conversations still unanswered after the final tick"
                )
        return out

    def read(self, raw: bytes, arm_name: str) -> str | None:
        """Take one message of `arm_name`'s responses topic; return why it is dead-lettered, or None."""
        too_big = oversized(raw)
        if too_big:
            return too_big
        try:
            msg = decode_outbound(raw)
        except msgspec.DecodeError as exc:
            return f"not a valid event: {exc}"
        if msg.run != self.run:
            return f"event for run {msg.run!r}, this run is {self.run!r}"
        return self.ingest(msg, arm_name)

    def ingest(self, msg: Outbound, arm_name: str) -> str | None:
        """Take one reply; return why it is dead-lettered, or None when taken or ignored."""
        k = (msg.replication, arm_name)
        arm = self._arms.get(k)
        event = msg.event
        if arm is None:
            if msg.replication in self._past:
                self.ignored["earlier replication"] += 1
                return None
            return f"replication {msg.replication} of arm {arm_name} is not in flight"
        if event.tick > self.tick:
            return (
                f"reply for tick {event.tick} of replication {msg.replication}, {arm_name}: "
                f"tick {self.tick} is the latest sent"
            )
        current = arm.collecting and event.tick == self.tick
        if isinstance(event, Response):
            return self._response(k, arm, event, current)
        if isinstance(event, Broadcast):
            return self._broadcast(k, arm, event, current)
        return self._done(k, arm, event, current)

    # ---- one kind of reply each -------------------------------------------------------------
    def _response(self, k: Key, arm: _Arm, r: Response, current: bool) -> str | None:
        cid = r.conversation_id
        customer = arm.sent.get(cid)
        if customer is None or customer != r.customer:
            if current:
                arm.tick.unmatched.add(cid)
            return (
                f"response to conversation {cid!r} of customer {r.customer}, "
                f"which this run never sent to {k[1]}"
            )
        taken = arm.tick.responses.get(cid) if current else None
        taken = taken or arm.answers.get(cid)
        if taken is not None:
            if taken != r:
                raise self._conflict(k, r.tick, f"two different responses to conversation {cid!r}")
            self.ignored["duplicate"] += 1
            return None
        if not current:
            raise self._conflict(
                k,
                r.tick,
                f"a response to conversation {cid!r} arrived after its tick's count was met without it",
            )
        arm.tick.responses[cid] = r
        return None

    def _broadcast(self, k: Key, arm: _Arm, b: Broadcast, current: bool) -> str | None:
        head, _, seq = b.id.rpartition(":")
        if head != f"{k[1]}:b" or not seq.isdigit():
            return f"broadcast id {b.id!r} is not {k[1]}:b:<number>"
        taken = (arm.tick.broadcasts.get(b.id) if current else None) or arm.broadcasts.get(b.id)
        if taken is not None:
            if taken != b:
                raise self._conflict(k, b.tick, f"two different broadcasts with id {b.id!r}")
            self.ignored["duplicate"] += 1
            return None
        if not current:
            raise self._conflict(
                k, b.tick, f"broadcast {b.id!r} arrived after its tick's count was met without it"
            )
        arm.tick.broadcasts[b.id] = b
        return None

    def _done(self, k: Key, arm: _Arm, d: TickDone, current: bool) -> str | None:
        if d.responses < 0 or d.broadcasts < 0:
            return f"tick-done marker announcing {d.responses} responses and {d.broadcasts} broadcasts"
        taken = arm.tick.done if current else arm.dones.get(d.tick)
        if taken is None:
            if not current:
                self.ignored["stale"] += 1  # a tick of an earlier group, or never collected
                return None
            arm.tick.done = d
            return None
        if taken != d:
            raise self._conflict(k, d.tick, f"two different tick-done markers ({taken} and {d})")
        self.ignored["duplicate"] += 1
        return None

    @staticmethod
    def _conflict(k: Key, tick: int, what: str) -> ReplyConflict:
        rep, arm = k
        return ReplyConflict(f"arm {arm}, replication {rep}, tick {tick}: {what}")
