"""A served arm across topic generations (`socialsim.kafka.app.ServedArm`): the next generation's
subscriber waits long between polls, and on its first batch a fast one replaces it, which reads the
generation from its start again. Every record must still reach the strategy exactly once, and
every tick be answered once, in order. Real embedded broker; the test plays the simulator's side
of the lockstep (a tick is published once the previous one is answered)."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.host import StrategyService
from services.policy import Policy
from socialsim.contracts.events import TickBatch, TickDone
from socialsim.contracts.wire import Inbound, decode_outbound, encode
from socialsim.kafka.app import ServedArm, service_broker
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.topics import TopicAdmin, key, stream_partition, topics
from tests.events import HOUR, closed, conv, strategy

pytestmark = pytest.mark.e2e

RUN, ARM, PARTITIONS = "generations", "support-led", 2
REPLICATIONS = 3  # two share a partition
TICKS_PER_TOPIC, GENERATIONS = 2, 4
# [s] A tick unanswered this long fails the test: ticks take ms, a generation's first one up to
# NEXT_GENERATION_WAIT_MS more.
REPLY_TIMEOUT_S = 5.0


def _tick(t: int, rep: int) -> list:
    """Tick t of replication `rep`: two conversations on even ticks, none on odd ones."""
    convs = [conv(1000 * rep + 10 * t + i, t * HOUR + i + 1) for i in range(2 if t % 2 == 0 else 0)]
    return [*convs, closed(t, len(convs))]


async def _serve(bootstrap: str, served: ServedArm, broker) -> tuple[dict[int, list], int, tuple[int, int]]:
    """Publish each tick to its generation once the previous one is answered; the events each
    replication got back, in order, how many subscribers were still running at the end, and how
    many subscribers and publishers the broker still held once the arm was stopped."""
    got: dict[int, list] = {rep: [] for rep in range(REPLICATIONS)}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=5, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    async with broker:
        await broker.start()
        await served.start()
        try:
            for t in range(TICKS_PER_TOPIC * GENERATIONS):
                conversations, responses = topics(RUN, ARM, t // TICKS_PER_TOPIC)
                if t % TICKS_PER_TOPIC == 0:
                    parts = [TopicPartition(responses, p) for p in range(PARTITIONS)]
                    consumer.assign(parts)
                    await consumer.seek_to_beginning(*parts)
                for rep in range(REPLICATIONS):
                    for event in _tick(t, rep):
                        message = encode(Inbound(run=RUN, replication=rep, event=event))
                        partition = stream_partition(rep, PARTITIONS)
                        customer = getattr(event, "customer", None)
                        await producer.send(conversations, message, key=key(customer), partition=partition)
                await producer.flush()
                deadline = time.monotonic() + REPLY_TIMEOUT_S
                while any(not got[r] or got[r][-1] != ("done", t) for r in got):
                    assert time.monotonic() < deadline, f"tick {t} unanswered: {got}"
                    for records in (await consumer.getmany(timeout_ms=100)).values():
                        for rec in records:
                            out = decode_outbound(rec.value)
                            done = isinstance(out.event, TickDone)
                            got[out.replication].append(("done", out.event.tick) if done else out.event)
            # [s] time for the replaced subscribers to stop; one stopping itself in its own handler
            # would wait there for FastStream's graceful timeout (15 s), then cancel its handler
            await asyncio.sleep(0.5)
            running = sum(sub.running for sub in broker.subscribers)
        finally:
            await served.stop()
            await consumer.stop()
            await producer.stop()
    gc.collect()
    return got, running, (len(broker.subscribers), len(broker.publishers))


def test_every_record_reaches_the_strategy_once_across_generations() -> None:
    broker = EmbeddedBroker.start()
    try:
        admin = TopicAdmin(broker.bootstrap)
        try:
            admin.create([t for g in range(GENERATIONS + 1) for t in topics(RUN, ARM, g)], PARTITIONS)
        finally:
            admin.close()
        service = service_broker(broker.bootstrap, "test", logging.getLogger("test"))
        host = StrategyService(strategy(ARM), ARM, RUN)
        served = ServedArm(service, host, PARTITIONS, 0, print)
        got, running, left = asyncio.run(_serve(broker.bootstrap, served, service))
    finally:
        broker.stop()
    assert host.ignored == {}, "a record reached the strategy twice"
    assert running == 2, "the current generation's subscriber and the next one's"
    # a long-lived service serves run after run: an ended run's subscribers, and the handlers
    # holding its policy state, must not stay alive with it (the arm, still referenced here, holds
    # its dead-letter and snapshot publishers)
    assert left == (0, 2), "a stopped arm's subscribers and reply publishers are still held"
    for rep in range(REPLICATIONS):
        policy = Policy(strategy(ARM), ARM)
        expected = []
        for t in range(TICKS_PER_TOPIC * GENERATIONS):
            *convs, marker = _tick(t, rep)
            reply = policy.handle(TickBatch(conversations=convs, closed=marker))
            expected += [*reply.responses, *reply.broadcasts, ("done", t)]
        assert got[rep] == expected
