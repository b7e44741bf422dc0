"""Reading a run's snapshot topic back (`socialsim.kafka.snapshots.read_snapshots`) does not end
early: not on a pause longer than a quiet fetch while an expected day's snapshot is still on its
way (a loaded machine), not on a broker that fails for a moment. Real embedded broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from socialsim.contracts.snapshots import StreamSnapshot, encode_snapshot
from socialsim.kafka import snapshots
from socialsim.kafka.broker import EmbeddedBroker, free_port
from socialsim.kafka.snapshots import SNAPSHOT_CONFIG, read_snapshots, snapshot_key, snapshot_topic
from socialsim.kafka.topics import TopicAdmin

pytestmark = pytest.mark.e2e

RUN, ARM = "reads", "support-led"
LATE_S = 1.0  # [s] longer than a quiet fetch (QUIET_MS): the pause a loaded producer can take


def _snap(day: int) -> StreamSnapshot:
    return StreamSnapshot(
        run=RUN,
        replication=0,
        arm=ARM,
        day=day,
        tick=24 * day + 23,
        final=False,
        generation=0,
        next_offset=0,
        state=b"s",
    )


async def _send(bootstrap: str, day: int, after_s: float = 0.0) -> None:
    await asyncio.sleep(after_s)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            snapshot_topic(RUN), encode_snapshot(_snap(day)), key=snapshot_key(0, ARM, day), partition=0
        )
    finally:
        await producer.stop()


def _topic(bootstrap: str) -> None:
    admin = TopicAdmin(bootstrap)
    try:
        admin.create([snapshot_topic(RUN)], 1, SNAPSHOT_CONFIG)
    finally:
        admin.close()


def test_a_read_waits_for_the_expected_day_past_a_quiet_fetch():
    broker = EmbeddedBroker.start()
    try:
        _topic(broker.bootstrap)

        async def scene() -> list[StreamSnapshot]:
            await _send(broker.bootstrap, 0)
            read = read_snapshots(broker.bootstrap, RUN, {0}, expected={(0, ARM): 1}, deadline_s=10.0)
            found, _ = await asyncio.gather(read, _send(broker.bootstrap, 1, after_s=LATE_S))
            return found

        assert [s.day for s in asyncio.run(scene())] == [0, 1]
    finally:
        broker.stop()


def test_a_broker_failing_at_first_is_asked_again_within_the_deadline(monkeypatch):
    """The broker comes up only after the read has begun: its first attempts fail to connect."""
    monkeypatch.setattr(snapshots, "RETRY_PAUSE_S", 0.2)
    port = free_port()

    async def scene() -> tuple[list[StreamSnapshot], EmbeddedBroker]:
        read = asyncio.ensure_future(
            read_snapshots(f"127.0.0.1:{port}", RUN, {0}, expected={(0, ARM): 0}, deadline_s=20.0)
        )
        await asyncio.sleep(LATE_S)
        assert not read.done(), "the read gave up on a broker not yet there"
        broker = await asyncio.to_thread(EmbeddedBroker.start, port)
        await asyncio.to_thread(_topic, broker.bootstrap)
        await _send(broker.bootstrap, 0)
        return await read, broker

    found, broker = asyncio.run(scene())
    try:
        assert [s.day for s in found] == [0]
    finally:
        broker.stop()


def test_a_broker_still_failing_at_the_deadline_is_an_error_not_an_empty_topic():
    with pytest.raises(KafkaError):
        asyncio.run(read_snapshots(f"127.0.0.1:{free_port()}", RUN, {0}, deadline_s=1.0))
