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

Readers: `read_snapshots` / `latest` (async, inside a service) and
`stored_snapshot(bootstrap, run, replication, arm, day)` (blocking): the snapshot of that day,
or the latest when `day` is None. A resumed run (`socialsim.kafka.resume`) carries its streams'
day-d snapshots in its checkpoint, publishes them on its own snapshot topic and announces the
streams with `RunAnnouncement.restore_day = d`; every service then restores day d's state.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from socialsim.contracts.snapshots import StreamSnapshot, decode_snapshot

from .transport import FETCH_MAX_WAIT_MS, SNAPSHOT_DAYS_KEPT

SNAPSHOT_CONFIG = {"cleanup.policy": "compact"}
# [ms] A read of a snapshot topic is over when a fetch brings nothing for this long: the embedded
# broker's end offsets cannot be trusted (../shared/KAFKA-NOTES.md), so the end is found by reading.
QUIET_MS = 300


def snapshot_topic(run: str) -> str:
    return f"{run}.snapshots"


def snapshot_key(replication: int, arm: str, day: int) -> bytes:
    return f"{replication}/{arm}/{day % SNAPSHOT_DAYS_KEPT}".encode()


Records = list[ConsumerRecord[Any, Any]]


async def read_all(bootstrap: str, parts: list[TopicPartition], starts: dict[TopicPartition, int]) -> Records:
    """Every record of `parts` from `starts` (the beginning where not given) to what is there now."""
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
        out: Records = []
        while True:
            got = await consumer.getmany(timeout_ms=QUIET_MS, max_records=10_000)
            if not got:
                return out
            for tp in parts:  # partition by partition, each in offset order
                out += got.get(tp, [])
    finally:
        await consumer.stop()


async def read_snapshots(bootstrap: str, run: str, partitions: set[int]) -> list[StreamSnapshot]:
    """Every snapshot stored for `run` in these partitions of its snapshot topic, oldest first;
    none when the topic does not exist. Records that are not snapshots are skipped."""
    topic = snapshot_topic(run)
    parts = [TopicPartition(topic, p) for p in sorted(partitions)]
    try:
        records = await read_all(bootstrap, parts, {})
    except KafkaError:
        return []
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


def stored_snapshot(
    bootstrap: str, run: str, replication: int, arm: str, partitions: int, day: int | None = None
) -> StreamSnapshot | None:
    """Blocking: the stored snapshot of stream (run, replication, arm) at the end of `day` (the
    latest when None), or None if there is none (the stream never finished a day, or `day` is more
    than SNAPSHOT_DAYS_KEPT days back on a broker that compacts)."""
    found = asyncio.run(read_snapshots(bootstrap, run, {replication % partitions}))
    return latest(found, replication, arm, day)
