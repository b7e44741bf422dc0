"""A Kafka run that can be checkpointed and resumed (`simulator.transport.Resumable`).

Over Kafka the strategies' state lives in the services, which store each stream's state at the
end of every simulated day on the run's snapshot topic (`socialsim.kafka.snapshots`). A
checkpoint must survive what kills the run, and with the embedded broker `compare` starts, the
broker (and every topic on it) dies with `compare`. So the checkpoint carries the snapshots
itself: `snapshot()`, called between the last tick of day d and the next, reads every stream's
day-d snapshot back from the snapshot topic (the services stored it before replying, so it is
there once the day's replies are) and returns them with the
conversations sent and not yet answered: a policy answers a queued post days later, and the run
that goes on must take that answer as one to a conversation it sent.

`restore()`, in the run that goes on (a new topic run id, `resumed_run_id`, on a fresh embedded
broker or the same external one), first ends the earlier runs of the same run id whose topics are
still on the broker (the killed one, and any resume of it killed before its first checkpoint): their
long-lived services forget them, their topics are deleted. Then it publishes the carried snapshots to
the new run's snapshot topic, re-pointed at where the next tick will travel, and announces the
streams with `restore_day = d`: every service restores exactly the state of the checkpoint's day.

Snapshots exist only at day ends, so this transport can be frozen only there
(`snapshots_mid_day` is False): a run stopped with Ctrl-C goes on to the end of the simulated day.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Protocol

import msgspec
from aiokafka import AIOKafkaConsumer, TopicPartition

from simulator.transport import TransportError
from socialsim.contracts.events import TickBatch, TickClosed
from socialsim.contracts.snapshots import StreamSnapshot, decode_snapshot, encode_snapshot
from socialsim.contracts.timeunits import MINUTES_PER_DAY
from socialsim.contracts.wire import MAX_EVENT_BYTES

from .replies import ReplyLedger, _Arm
from .snapshots import snapshot_key, snapshot_topic
from .topics import stream_partition
from .transport import FETCH_MAX_WAIT_MS, KafkaTransport

# [s] How long a checkpoint waits to read a stream's snapshot of the day just ended: it was stored
# before the day's last replies, so it is normally milliseconds away; one missing after this was
# never stored (a state over the message limit).
SNAPSHOT_WAIT_S = 10.0
RESUMED = "-resume-"  # a resumed run's topic run id: <run id>-resume-<RESUME_HEX hex digits>
RESUME_HEX = 6


def resumed_run_id(run: str) -> str:
    """The topic run id of `run` going on from a checkpoint: new, so that neither the killed run's
    topics (still there on an external broker) nor long-lived services still holding its streams
    at a later tick meet the resumed run."""
    return f"{run}{RESUMED}{uuid.uuid4().hex[:RESUME_HEX]}"


def earlier_runs(run: str, names: list[str]) -> list[str]:
    """The topic run ids of the same run id as `run`, other than `run`, that `names` (topics) hold."""
    base = run.split(RESUMED)[0]
    found = {base} if any(n.startswith(f"{base}.") for n in names) else set()
    resumes = (n for n in names if n.startswith(f"{base}{RESUMED}"))
    found |= {n[: len(base) + len(RESUMED) + RESUME_HEX] for n in resumes}
    return sorted(found - {run})


class CarriedState(msgspec.Struct, frozen=True, kw_only=True):
    """What a Kafka run's checkpoint holds of its strategies."""

    day: int  # the simulated day whose end they cover
    tick: int  # that day's last tick
    snapshots: list[bytes]  # one encoded StreamSnapshot per (replication, arm) in flight
    unanswered: list[tuple[int, str, dict[str, int]]]  # (replication, arm, conversation id -> customer)


class CarriedLedger(ReplyLedger):
    """The reply ledger of a run that may go on in another process: the conversations it sent
    that are still unanswered can be taken out, and given to the ledger of the run that goes on."""

    def unanswered(self) -> list[tuple[int, str, dict[str, int]]]:
        return [
            (rep, arm_name, {cid: arm.sent[cid] for cid in sorted(arm.unanswered)})
            for (rep, arm_name), arm in sorted(self._arms.items())
        ]

    def expect(self, unanswered: list[tuple[int, str, dict[str, int]]]) -> None:
        """After `open`: these conversations were sent (before a checkpoint) and await answers."""
        for rep, arm_name, pending in unanswered:
            arm = self._arms.setdefault((rep, arm_name), _Arm())
            arm.sent.update(pending)
            arm.unanswered.update(pending)


class RunAdmin(Protocol):
    def create(self, names: list[str], partitions: int) -> None: ...
    def delete(self, names: list[str]) -> None: ...
    def list(self) -> list[str]: ...
    def delete_run(self, run: str) -> None: ...


class ResumableKafkaTransport(KafkaTransport):
    snapshots_mid_day = False

    def __init__(
        self,
        bootstrap: str,
        run: str,
        arms: list[str],
        admin: RunAdmin,
        partitions: int,
        *,
        snapshot_wait_s: float = SNAPSHOT_WAIT_S,
        **options: Any,
    ):
        super().__init__(bootstrap, run, arms, admin, partitions, **options)
        self.run_admin = admin
        self.ledger: CarriedLedger = CarriedLedger(run)
        self.snapshot_wait_s = snapshot_wait_s
        self._reader: AIOKafkaConsumer | None = None
        self._stored: dict[tuple[int, str], StreamSnapshot] = {}  # the newest read, per stream
        self._last: TickClosed | None = None  # the tick exchanged last

    # ---- Resumable ----------------------------------------------------------------------------
    def snapshot(self) -> bytes:
        """Every stream's snapshot of the day whose last tick was exchanged last."""
        last = self._last
        if last is None or last.end_minute % MINUTES_PER_DAY != 0:
            raise TransportError("a Kafka run's strategies can be saved only after a day's last tick")
        day = int(last.start_minute // MINUTES_PER_DAY)
        snaps = self._run(self._day_snapshots(day, last.tick))
        carried = CarriedState(day=day, tick=last.tick, snapshots=snaps, unanswered=self.ledger.unanswered())
        return msgspec.msgpack.encode(carried)

    def restore(self, state: bytes) -> None:
        """After `open`: end the run that stored `state` if it is still on the broker, hand its
        snapshots to this run's services and announce the streams from that day (module doc)."""
        carried = msgspec.msgpack.decode(state, type=CarriedState)
        snaps = [decode_snapshot(raw) for raw in carried.snapshots]
        held = sorted((s.replication, s.arm) for s in snaps)
        opened = sorted((rep, arm) for rep in self.replications for arm in self.arms)
        if held != opened:
            raise ValueError(f"snapshot holds strategies for {held}, this run opened {opened}")
        self.ledger.expect(carried.unanswered)
        self._run(self._reseed(carried.day, snaps))

    # ---- internals --------------------------------------------------------------------------
    async def _send(self, batches: dict[tuple[int, str], TickBatch]) -> None:
        self._last = next(iter(batches.values())).closed
        await super()._send(batches)

    async def _day_snapshots(self, day: int, tick: int) -> list[bytes]:
        if self._reader is None:
            self._reader = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
                max_partition_fetch_bytes=MAX_EVENT_BYTES + (64 << 10),
                client_id="socialsim-checkpoint",
            )
            await self._reader.start()
            parts = [TopicPartition(snapshot_topic(self.run), p) for p in range(self.partitions)]
            self._reader.assign(parts)
            await self._reader.seek_to_beginning(*parts)
        wanted = [(rep, arm) for rep in self.replications for arm in self.arms]
        deadline = time.monotonic() + self.snapshot_wait_s
        while True:
            missing = [k for k in wanted if k not in self._stored or self._stored[k].tick < tick]
            if not missing:
                return [encode_snapshot(self._stored[k]) for k in wanted]
            if time.monotonic() > deadline:
                rep, arm = missing[0]
                raise TransportError(
                    f"cannot checkpoint day {day}: no snapshot of arm {arm}, replication {rep} within "
                    f"{self.snapshot_wait_s:g} s (a state over the {MAX_EVENT_BYTES}-byte message limit "
                    "is not stored)"
                )
            for records in (await self._reader.getmany(timeout_ms=100, max_records=10_000)).values():
                for rec in records:
                    self._keep(rec.value or b"")

    def _keep(self, raw: bytes) -> None:
        try:
            snap = decode_snapshot(raw)
        except msgspec.DecodeError:
            return
        stream = (snap.replication, snap.arm)
        if snap.run == self.run and (stream not in self._stored or snap.tick >= self._stored[stream].tick):
            self._stored[stream] = snap

    async def _reseed(self, day: int, snaps: list[StreamSnapshot]) -> None:
        for earlier in earlier_runs(self.run, self.run_admin.list()):
            await self._end(earlier)  # its long-lived services forget it
            self.run_admin.delete_run(earlier)
        generation = self._exchanges // self.ticks_per_topic  # where the next tick travels
        sent = []
        for snap in snaps:
            moved = msgspec.structs.replace(snap, run=self.run, generation=generation, next_offset=0)
            sent.append(
                await self._out.send(
                    snapshot_topic(self.run),
                    encode_snapshot(moved),
                    key=snapshot_key(snap.replication, snap.arm, day),
                    partition=stream_partition(snap.replication, self.partitions),
                )
            )
        await asyncio.gather(*sent)
        await self._announce(restore_day=day)

    async def _stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None
        await super()._stop()
