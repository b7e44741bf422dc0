"""A tick's responses leave a strategy service as record batches (`socialsim.kafka.app.reply_batches`):
a tick larger than one producer batch is split where the size estimate says, never overflowing
the real producer's batch (FastStream refuses the whole publish when it does); each partition's
records arrive in the order decided, markers after the responses; and FastStream's Prometheus
middleware counts every record of a batch as published (the operations dashboard's "Messages
published"). Real embedded broker, FastStream broker and producer as a service builds them."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiokafka import TopicPartition
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from services.host import StrategyService
from socialsim.kafka.app import MAX_BATCH_BYTES, ServedArm, reply_batches, service_broker
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.snapshots import read_all
from socialsim.kafka.topics import MARKER_KEY, TopicAdmin, topics
from socialsim.telemetry.names import FASTSTREAM_PREFIX, PUBLISHED
from tests.events import strategy

pytestmark = pytest.mark.e2e

RUN, ARM, PARTITIONS = "batches", "support-led", 2
VALUE_BYTES = 300  # [bytes] about one encoded response
PER_PARTITION = MAX_BATCH_BYTES // VALUE_BYTES + 500  # more than one producer batch holds


def _outbound() -> list[tuple[bytes, bytes, int]]:
    """(value, key, partition) as a service decides them: the partitions interleaved, each ending
    with its tick-done marker; values say where they belong in their partition."""
    out = []
    for i in range(PER_PARTITION):
        for p in range(PARTITIONS):
            out.append((f"{p}:{i}:".encode().ljust(VALUE_BYTES, b"x"), str(i).encode(), p))
    return out + [(f"{p}:done".encode(), MARKER_KEY, p) for p in range(PARTITIONS)]


def test_a_tick_larger_than_a_batch_arrives_whole_in_order_and_counted() -> None:
    outbound = _outbound()
    batches = reply_batches(outbound)
    assert len(batches) > PARTITIONS, "the tick should need more than one batch per partition"
    broker = EmbeddedBroker.start()
    try:
        responses = topics(RUN, ARM, 0)[1]
        admin = TopicAdmin(broker.bootstrap)
        try:
            admin.create([responses], PARTITIONS)
        finally:
            admin.close()
        registry = CollectorRegistry()
        middleware = KafkaPrometheusMiddleware(
            registry=registry, app_name=ARM, metrics_prefix=FASTSTREAM_PREFIX
        )
        service = service_broker(broker.bootstrap, "test", logging.getLogger("test"), [middleware])
        served = ServedArm(service, StrategyService(strategy(ARM), ARM, RUN), PARTITIONS, 0, print)

        async def scene() -> list[tuple[bytes, bytes, int]]:
            replies = served.replies(0)
            async with service:
                await service.start()
                sent = [await replies.publish(*m, partition=p, no_confirm=True) for p, m in batches]
                await asyncio.gather(*sent)
            parts = [TopicPartition(responses, p) for p in range(PARTITIONS)]
            records = await read_all(
                broker.bootstrap, parts, {}, complete=lambda got: len(got) >= len(outbound)
            )
            return [(r.value, r.key, r.partition) for r in records]

        arrived = asyncio.run(scene())
    finally:
        broker.stop()
    for p in range(PARTITIONS):
        assert [(v, k) for v, k, q in arrived if q == p] == [(v, k) for v, k, q in outbound if q == p]
    counted = sum(
        s.value
        for m in registry.collect()
        for s in m.samples
        if s.name == PUBLISHED and s.labels.get("destination") == responses
    )
    assert counted == len(outbound)
