"""The FastStream handler of a strategy service (`socialsim.kafka.app.create_app`), driven through
FastStream's in-memory `TestKafkaBroker`.

Why in memory here: this tier checks the wiring of the handler — which topic it reads, what it
publishes where, and with which key — in milliseconds and without a broker process. The real
embedded broker runs the same app in tests/e2e/test_kafka.py (parity with the in-process run,
duplicates and garbage on the topics, killed services). docs/architecture.md, Invariants:
Transport parity, Bad input is refused cleanly.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

import pytest
from faststream.kafka import TestKafkaBroker, testing
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.testing import FakeProducer

from services.policy import Policy
from socialsim.contracts.events import TickBatch
from socialsim.contracts.wire import Inbound, decode_outbound, encode
from socialsim.kafka.app import create_app
from socialsim.kafka.topics import MARKER_KEY, dead_letter_topic, key, topics
from tests.events import HOUR, closed, conv, strategy

RUN, ARM = "run-1", "comms-led"
CONVERSATIONS, RESPONSES = topics(RUN, ARM, 0)
AT9 = 9 * HOUR  # inside comms' shift, so the tick's posts are answered in it


@pytest.fixture(autouse=True)
def confirmed_publishes(monkeypatch):
    """The test client's producer returns None where the real one returns a delivery future for
    `publish(..., no_confirm=True)` (single or batch), and the app awaits those futures together.
    Return a future that is already done — what the real one becomes once the broker confirms."""

    def confirming(publish):
        async def publish_and_confirm(self, cmd):
            await publish(self, cmd)
            if cmd.no_confirm:
                done = asyncio.get_running_loop().create_future()
                done.set_result(None)
                return done
            return None

        return publish_and_confirm

    monkeypatch.setattr(FakeProducer, "publish", confirming(FakeProducer.publish))
    monkeypatch.setattr(FakeProducer, "publish_batch", confirming(FakeProducer.publish_batch))


@pytest.fixture(autouse=True)
def numbered_records(monkeypatch):
    """The test client gives every record offset 0; a broker numbers a partition's records from
    0 on, and the app skips a record below the next offset it answered in its partition."""
    offsets: defaultdict[tuple[str, int], itertools.count[int]] = defaultdict(itertools.count)
    build = testing.build_message

    async def numbered(*args, **kwargs):
        record = await build(*args, **kwargs)
        record.offset = next(offsets[record.topic, record.partition])
        return record

    monkeypatch.setattr(testing, "build_message", numbered)


def _run_app(messages: list[tuple[bytes, bytes]]) -> tuple[list[KafkaMessage], list[KafkaMessage]]:
    """Publish (key, value) pairs to generation 0's conversations topic; return what the app
    published on the responses topic and on the dead-letter topic."""
    app, _ = create_app(strategy(ARM), ARM, "unused:9092", RUN, partitions=1)
    broker = app.broker
    replies: list[KafkaMessage] = []
    dead: list[KafkaMessage] = []

    @broker.subscriber(RESPONSES)
    async def on_reply(msg: KafkaMessage) -> None:
        replies.append(msg)

    @broker.subscriber(dead_letter_topic(RUN))
    async def on_dead_letter(msg: KafkaMessage) -> None:
        dead.append(msg)

    async def drive() -> None:
        async with TestKafkaBroker(broker) as test_broker:
            for k, value in messages:
                await test_broker.publish(value, topic=CONVERSATIONS, key=k)

    asyncio.run(drive())
    return replies, dead


def _inbound(event) -> tuple[bytes, bytes]:
    return key(getattr(event, "customer", None)), encode(Inbound(run=RUN, replication=0, event=event))


def test_a_tick_and_its_marker_give_the_responses_and_the_tick_done_marker():
    convs = [conv(1, AT9 + 1, "complaint"), conv(2, AT9 + 2)]
    night = [closed(t, 0) for t in range(9)]  # ticks are answered strictly in order
    replies, dead = _run_app([_inbound(e) for e in (*night, *convs, closed(9, 2))])

    policy = Policy(strategy(ARM), ARM)
    expected = [policy.handle(TickBatch(conversations=[], closed=c)) for c in night]
    expected.append(policy.handle(TickBatch(conversations=convs, closed=closed(9, 2))))
    events = [e for reply in expected for e in (*reply.responses, *reply.broadcasts, reply.done)]
    assert dead == [] and expected[-1].responses
    assert [decode_outbound(m.body).event for m in replies] == events
    keys = [(m.raw_message.key, type(decode_outbound(m.body).event).__name__) for m in replies]
    assert (b"1", "Response") in keys and (b"2", "Response") in keys  # responses keyed by customer
    assert all(k == MARKER_KEY for k, kind in keys if kind == "TickDone")


def test_nothing_is_answered_before_the_tick_is_closed():
    replies, dead = _run_app([_inbound(conv(1, 5.0))])
    assert (replies, dead) == ([], [])


def test_garbage_goes_to_the_dead_letter_topic_and_the_tick_still_completes():
    replies, dead = _run_app([(b"x", b"\xff not an event"), _inbound(closed(0, 0))])
    (letter,) = dead
    assert b"not a valid event" in letter.body and letter.raw_message.key == ARM.encode()
    assert [type(decode_outbound(m.body).event).__name__ for m in replies] == ["TickDone"]
