"""Snapshot and restore of a stream's state (services/snapshot.py, `StrategyService.restore`): a
policy restored from its snapshot at the end of a simulated day answers every later tick exactly
as the policy that never stopped. Recorded ticks of a small real run, every shipped strategy
(panic, listening and tiering included). docs/architecture.md, Invariants: Determinism."""

from __future__ import annotations

import msgspec
import pytest

from services.host import Record, StrategyService
from services.policy import Policy
from services.snapshot import PolicyState, SnapshotMismatch
from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from socialsim.contracts.events import TickBatch
from socialsim.contracts.wire import Inbound, encode
from tests.conftest import small
from tests.events import HOUR, closed, conv, strategy

RUN = "run-s"


class Recorder:
    """The in-process transport, keeping every tick it carried per (replication, arm)."""

    name = "recorder"

    def __init__(self) -> None:
        self.inner = inprocess_transport()
        self.batches: dict[tuple[int, str], list[TickBatch]] = {}
        self.strategies = {}

    def open(self, arms, replications):
        self.strategies.update(arms)
        self.inner.open(arms, replications)

    def send(self, batches):
        for k, b in batches.items():
            self.batches.setdefault(k, []).append(b)
        self.inner.send(batches)

    def replies(self):
        return self.inner.replies()

    def close(self):
        self.inner.close()


@pytest.fixture(scope="module")
def recorded() -> Recorder:
    rec = Recorder()
    run(small(customers=300, days=4, replications=2), rec, baseline=no_social(), keep_events=False)
    return rec


def test_a_restored_policy_answers_every_later_tick_as_the_uninterrupted_one(recorded):
    for (rep, arm), ticks in recorded.batches.items():
        if rep:
            continue
        strategy = recorded.strategies[arm]
        whole = Policy(strategy, arm)
        expected = [whole.handle(b) for b in ticks]
        for cut in (24, 48, 72):  # after the last tick of days 0, 1 and 2
            first = Policy(strategy, arm)
            for b in ticks[:cut]:
                first.handle(b)
            restored = Policy.restore(strategy, arm, first.snapshot())
            assert [restored.handle(b) for b in ticks[cut:]] == expected[cut:], (arm, cut)


def preorder_heap(ranked: list) -> list:
    """`ranked` (sorted) laid out as a heap filled in pre-order: a valid heap, far from sorted."""
    out = [None] * len(ranked)
    values = iter(ranked)

    def fill(at: int) -> None:
        if at < len(out):
            out[at] = next(values)
            fill(2 * at + 1)
            fill(2 * at + 2)

    fill(0)
    return out


def test_a_snapshot_whose_heaps_are_laid_out_otherwise_restores_to_the_same_answers():
    """Snapshots written before posts from the stream had their own queue hold each department's
    posts not yet ready as one heap in any valid layout, and items in another order: they restore.
    Cut while hand-overs are under way, each ready at its own minute of the next ticks."""
    s = strategy("marketing-led", handoff_minutes=90.0, **{"staff_hours_per_day.support": 24})
    ticks = [
        TickBatch(
            conversations=[conv(10 * t + i, t * HOUR + 7 * i, "complaint", kind="account") for i in range(8)],
            closed=closed(t, 8),
        )
        for t in (9, 10)
    ] + [TickBatch(conversations=[], closed=closed(t, 0)) for t in range(11, 14)]
    first = Policy(s, "arm")
    first.handle(ticks[0])
    state = msgspec.msgpack.decode(first.snapshot(), type=PolicyState)
    assert len(state.queues["support"].future) > 3  # hand-overs ready in the next ticks
    state.queues["support"].future = preorder_heap(sorted(state.queues["support"].future))
    state.items.reverse()
    expected = [first.handle(b) for b in ticks[1:]]
    restored = Policy.restore(s, "arm", msgspec.msgpack.encode(state))
    assert [restored.handle(b) for b in ticks[1:]] == expected


def _records(ticks: list[TickBatch], rep: int, first_offset: int = 0) -> list[Record]:
    events = [e for b in ticks for e in (*b.conversations, b.closed)]
    return [
        Record("t", 0, first_offset + i, encode(Inbound(run=RUN, replication=rep, event=e)))
        for i, e in enumerate(events)
    ]


def test_a_host_restored_from_a_day_end_snapshot_replays_to_the_same_replies(recorded):
    (arm, ticks), *_ = [(arm, t) for (_, arm), t in recorded.batches.items()]
    strategy = recorded.strategies[arm]
    whole = StrategyService(strategy, arm, RUN).receive(_records(ticks, 0))
    dying = StrategyService(strategy, arm, RUN)
    taken = dying.receive(_records(ticks[:30], 0))
    assert [s.day for s in taken.snapshots] == [0] and taken.snapshots[0].tick == 23
    snap = taken.snapshots[0]
    records = _records(ticks, 0)
    marker = encode(Inbound(run=RUN, replication=0, event=ticks[23].closed))
    assert records[snap.next_offset - 1].value == marker
    replacement = StrategyService(strategy, arm, RUN)
    replacement.restore(0, snap.state)
    replayed = replacement.receive(records[snap.next_offset :])
    later = [o for o in whole.outbound if o.event.tick > snap.tick]
    assert replayed.outbound == later and replayed.dead_letters == []
    assert [s.day for s in replayed.snapshots] == [1, 2, 3] and replayed.snapshots[-1].final


def test_a_snapshot_that_is_not_this_strategys_is_refused(recorded):
    (arm, ticks), (other, _) = list({a: t for (_, a), t in recorded.batches.items()}.items())[:2]
    p = Policy(recorded.strategies[arm], arm)
    for b in ticks[:30]:
        p.handle(b)
    with pytest.raises((SnapshotMismatch, msgspec.ValidationError)):
        Policy.restore(recorded.strategies[other], other, p.snapshot())
    with pytest.raises(msgspec.DecodeError):
        Policy.restore(recorded.strategies[arm], arm, b"\x93garbage")
