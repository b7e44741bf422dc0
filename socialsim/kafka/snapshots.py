"""Stream snapshots on a run's compacted topic, and reading them back: how a replacement service
(or a resumed run) finds the state a stream had at the end of a simulated day.

    <run>.snapshots    cleanup.policy=compact, one partition per run partition

After the last tick of every simulated day a service writes, per stream (run, replication, arm),
the host's state (`services.host.Snapshot`) keyed `<replication>/<arm>/<day % SNAPSHOT_DAYS_KEPT>`
to partition `replication % P`, and waits for the broker's acknowledgement before it publishes
that tick's replies: once the simulator has a day's last reply, the day's snapshot is stored.
Compaction keeps the newest record per key, so a broker that compacts holds at least the last
`SNAPSHOT_DAYS_KEPT` days of every stream and never more than a few per key.

The topic is per run, not shared, so it is deleted with the run's other topics: nothing of a run
stays on the broker. Measured on the embedded broker (Tansu 0.6.0): it accepts
`cleanup.policy=compact` at creation but never compacts (every record stays readable, tombstones
included, until the topic is deleted), so there a run's snapshots grow by one record per stream
and day (a few kB to a few hundred kB each) until the run ends.

Readers: `read_snapshots` / `latest` (inside a service). A read ends when every snapshot the
caller expects (a stream's day) has come, and never before the offsets the broker reported as
its end when the read began; nothing known to be there is missed. The embedded broker's reported
high watermark runs low: it is the start of the last record batch, not the offset after it, so
past that point only an expected day, or a fetch that brings nothing, says the read is over. Both
are bounded by `READ_DEADLINE_S`, within which a failing broker is asked again rather than taken
for an empty topic. A resumed run (`socialsim.kafka.resume`) carries its streams' day-d snapshots
in its checkpoint, publishes them on its own snapshot topic and announces the streams with
`RunAnnouncement.restore_day = d`; every service then restores day d's state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from socialsim.contracts.snapshots import StreamSnapshot, decode_snapshot

from .transport import FETCH_MAX_WAIT_MS, SNAPSHOT_DAYS_KEPT

SNAPSHOT_CONFIG = {"cleanup.policy": "compact"}
# [ms] Past the reported end, with nothing more expected, a read is over when a fetch brings
# nothing for this long (the embedded broker's reported end is the start of its last batch).
QUIET_MS = 300
# [s] The longest a read may take, retries of a failing broker included: well inside the
# replacement timeout (60 s), so a replacement that cannot read still fails the run in time.
READ_DEADLINE_S = 20.0
# [s] Pause before asking a failing broker again.
RETRY_PAUSE_S = 0.5


def snapshot_topic(run: str) -> str:
    return f"{run}.snapshots"


def snapshot_key(replication: int, arm: str, day: int) -> bytes:
    return f"{replication}/{arm}/{day % SNAPSHOT_DAYS_KEPT}".encode()


Records = list[ConsumerRecord[Any, Any]]
Stream = tuple[int, str]  # (replication, arm)


async def read_all(
    bootstrap: str,
    parts: list[TopicPartition],
    starts: dict[TopicPartition, int],
    *,
    complete: Callable[[Records], bool] = lambda records: True,
    deadline_s: float = READ_DEADLINE_S,
) -> Records:
    """Every record of `parts` from `starts` (the beginning where not given) to what is there now:
    at least to the end the broker reports, and until `complete(records so far)` holds and a fetch
    brings nothing. A KafkaError is retried, from the start, until `deadline_s` [s] have passed,
    then raised; at the deadline what was read is returned, `complete` or not (the caller says
    what is missing)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return await _read_once(bootstrap, parts, starts, complete, deadline)
        except KafkaError:
            if time.monotonic() + RETRY_PAUSE_S > deadline:
                raise
            await asyncio.sleep(RETRY_PAUSE_S)


async def _read_once(
    bootstrap: str,
    parts: list[TopicPartition],
    starts: dict[TopicPartition, int],
    complete: Callable[[Records], bool],
    deadline: float,
) -> Records:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        client_id="socialsim-replay",
    )
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        ends = await consumer.end_offsets(parts)
        out: Records = []
        while time.monotonic() < deadline:
            got = await consumer.getmany(timeout_ms=QUIET_MS, max_records=10_000)
            for tp in parts:  # partition by partition, each in offset order
                out += got.get(tp, [])
            if got or not complete(out):
                continue
            positions = [await consumer.position(tp) for tp in parts]
            if all(pos >= ends[tp] for tp, pos in zip(parts, positions, strict=True)):
                return out
        return out
    finally:
        await consumer.stop()


async def read_snapshots(
    bootstrap: str,
    run: str,
    partitions: set[int],
    expected: Mapping[Stream, int] | None = None,
    deadline_s: float = READ_DEADLINE_S,
) -> list[StreamSnapshot]:
    """Every snapshot stored for `run` in these partitions of its snapshot topic, oldest first,
    read until each stream of `expected` has its snapshot of the day given (or `deadline_s` [s]
    have passed: the caller finds it missing). Records that are not snapshots are skipped; a
    broker still failing at the deadline raises KafkaError."""
    topic = snapshot_topic(run)
    parts = [TopicPartition(topic, p) for p in sorted(partitions)]
    wanted = dict(expected or {})

    def complete(records: Records) -> bool:
        found = {(s.replication, s.arm, s.day) for s in _snapshots(records, run)}
        return all((rep, arm, day) in found for (rep, arm), day in wanted.items())

    return _snapshots(await read_all(bootstrap, parts, {}, complete=complete, deadline_s=deadline_s), run)


def _snapshots(records: Records, run: str) -> list[StreamSnapshot]:
    out = []
    for rec in records:
        try:
            snap = decode_snapshot(rec.value or b"")
        except msgspec.DecodeError:
            continue
        if snap.run == run:
            out.append(snap)
    return out


def latest(
    snapshots: list[StreamSnapshot], replication: int, arm: str, day: int | None = None
) -> StreamSnapshot | None:
    """The newest snapshot of one stream (of `day` only, if given), or None."""
    found = [
        s
        for s in snapshots
        if s.replication == replication and s.arm == arm and (day is None or s.day == day)
    ]
    return max(found, key=lambda s: s.tick) if found else None
