"""Forged events on a running run's topics, on the real embedded broker with real service processes:
each is ignored, dead-lettered with a reason (and a bounded excerpt), or fails the run at once with
one line naming arm, replication and tick. None changes a number; none stalls to the timeout.

A `Forger` is the run's own transport that also writes forged messages to the run's topics once,
at the first tick from `AT_TICK` with conversations for replication 0 (unit-level checks in
tests/unit/test_event_meaning.py)."""

from __future__ import annotations

import json
import re
import time

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer

from simulator.transport import TransportError
from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from socialsim.configload import config_sha256
from socialsim.contracts.events import Conversation, Response, TickBatch, TickClosed
from socialsim.contracts.wire import EXCERPT_BYTES, Inbound, Outbound, encode
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.stack import kafka_stack, new_run_id
from socialsim.kafka.topics import dead_letter_topic, topics
from socialsim.kafka.transport import KafkaTransport
from tests.conftest import small

AT_TICK = 9  # [tick] the first tick forged at, if it has conversations (09:00, in shift)
# [ticks] how far ahead a forged future conversation claims to be: a simulated day, so it reaches
# the service long before its tick is assembled, however slowly the forger's producer starts (two
# ticks ahead raced the run: a few milliseconds a tick at this size)
LATER_TICKS = 24
BIG = 1_500_000  # [bytes] a message over the 1 MiB limit
FORGED_ARM = "support-led"  # forged messages go to one arm's topics, so one arm (one service) is enough
_ALL_ARMS = small(customers=150, days=2)
SCENARIO = _ALL_ARMS.model_copy(update={"arms": {FORGED_ARM: _ALL_ARMS.arms[FORGED_ARM]}})
FAST_S = 20.0  # [s] well under the 60 s tick timeout a stall would end with


@pytest.fixture(scope="module")
def broker():
    b = EmbeddedBroker.start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def baseline():
    return run(SCENARIO, inprocess_transport(), baseline=no_social(), keep_events=False).per_arm


class Forger(KafkaTransport):
    """Publishes `forge(self, tick, batch)` -> [(topic kind, value)] once, after a tick's conversations."""

    forge = staticmethod(lambda transport, tick, batch: [])
    forged = False

    async def _publish(self, batches):
        await super()._publish(batches)
        (rep, arm), batch = next(iter(batches.items()))
        tick = batch.closed.tick
        if self.forged or rep != 0 or tick < AT_TICK or not batch.conversations:
            return
        self.forged = True
        loud = AIOKafkaProducer(bootstrap_servers=self.bootstrap, max_request_size=4 * BIG)
        await loud.start()
        try:
            conversations, responses = topics(self.run, arm, self.generation)
            for kind, value in type(self).forge(self, tick, batch):
                target = conversations if kind == "conversations" else responses
                await loud.send_and_wait(target, value, key=b"forged")
        finally:
            await loud.stop()


def _forging(forge) -> type[Forger]:
    return type("Forging", (Forger,), {"forge": staticmethod(forge)})


def _letters(bootstrap: str, run_id: str, expected: int) -> list[dict]:
    consumer = KafkaConsumer(
        dead_letter_topic(run_id),
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        consumer_timeout_ms=2000,
        fetch_max_bytes=8 << 20,
    )
    letters: list[dict] = []
    deadline = time.monotonic() + 10
    while len(letters) < expected and time.monotonic() < deadline:
        letters += [json.loads(m.value) for m in consumer]
    consumer.close()
    return letters


def _run(broker, forge, letters: int = 0):
    """(result or the error, seconds, dead letters) of a run with `forge` applied once."""
    run_id = new_run_id(config_sha256(SCENARIO))
    started = time.monotonic()
    with kafka_stack(SCENARIO, run_id, bootstrap=broker.bootstrap, transport_class=_forging(forge)) as k:
        try:
            outcome = run(SCENARIO, k.transport, baseline=no_social(), keep_events=False, in_flight=1)
        except TransportError as exc:
            outcome = exc
        elapsed = time.monotonic() - started
        assert k.transport.forged, "the run never reached a tick to forge at"
        return outcome, elapsed, _letters(broker.bootstrap, run_id, letters)


def _response(c: Conversation, tick: int, **changes) -> Response:
    fields = dict(
        id=f"forged:{c.id}",
        conversation_id=c.id,
        customer=c.customer,
        tick=tick,
        department="support",
        action="resolve",
        minute=c.minute + 1,
        delay_minutes=1.0,
        handoffs=0,
        pitched=False,
        tone="neutral",
    )
    return Response(**(fields | changes))


def _out(t: Forger, event, replication: int = 0) -> bytes:
    return encode(Outbound(run=t.run, replication=replication, event=event))


def _in(t: Forger, event, replication: int = 0) -> bytes:
    return encode(Inbound(run=t.run, replication=replication, event=event))


def _refused_in_one_line(outcome, elapsed: float, tick_pattern: str) -> None:
    assert isinstance(outcome, TransportError), "the run went on with forged events in it"
    line = str(outcome)
    assert "\n" not in line and elapsed < FAST_S, (elapsed, line)
    assert re.search(rf"replication 0, tick {tick_pattern}", line), line


# ---- forged replies (simulator side) -----------------------------------------------------------------
def test_a_second_response_for_each_conversation_fails_the_run_in_one_line(broker):
    """Old code: KeyError traceback in the world (two responses popped one pending conversation)."""

    def forge(t: Forger, tick: int, batch: TickBatch):
        return [("responses", _out(t, _response(c, tick))) for c in batch.conversations]

    outcome, elapsed, _ = _run(broker, forge)
    _refused_in_one_line(outcome, elapsed, r"\d+")


def test_replies_outside_the_vocabulary_unsent_or_too_big_are_dead_lettered_and_change_nothing(
    broker, baseline
):
    """Old code: a 1.5 MB reply's dead letter carried the whole original and exceeded the producer limit."""

    def forge(t: Forger, tick: int, batch: TickBatch):
        c = batch.conversations[0]
        bribe = _out(t, _response(c, tick)).replace(b'"action":"resolve"', b'"action":"bribe"')
        shout = _out(t, _response(c, tick)).replace(b'"tone":"neutral"', b'"tone":"shouting"')
        unsent = _out(t, _response(c, tick, conversation_id="never-sent"))
        future = _out(t, _response(c, tick + 2))
        stranger = _out(t, _response(c, tick), replication=99)
        big = _out(t, _response(c, tick, id="x" * BIG))
        return [("responses", v) for v in (bribe, shout, unsent, future, stranger, big)]

    outcome, _, letters = _run(broker, forge, letters=6)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.per_arm == baseline
    reasons = sorted(letter["reason"] for letter in letters)
    assert len(letters) == 6, reasons
    assert sum("not a valid event" in r for r in reasons) == 2
    assert any("never sent" in r for r in reasons) and any("reply for tick" in r for r in reasons)
    assert any("replication 99" in r for r in reasons)
    (big,) = [x for x in letters if x["original_bytes"] > BIG]
    assert (
        "over the 1048576-byte limit" in big["reason"] and len(big["original"].encode()) <= EXCERPT_BYTES + 3
    )


# ---- forged conversations and markers (service side) -------------------------------------------------
def test_a_well_formed_conversation_for_a_future_tick_is_dead_lettered_and_changes_nothing(broker, baseline):
    """Old code: the service answered it with the later tick: exit 0 with different numbers."""

    def forge(t: Forger, tick: int, batch: TickBatch):
        c = batch.conversations[0]
        later = Conversation(
            **{f: getattr(c, f) for f in c.__struct_fields__} | {"id": "forged", "tick": tick + LATER_TICKS}
        )
        return [("conversations", _in(t, later))]

    outcome, _, letters = _run(broker, forge, letters=1)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.per_arm == baseline
    (letter,) = letters
    assert "is being assembled" in letter["reason"] and len(letter["original_sha256"]) == 64


def test_a_tick_closed_marker_with_a_wrong_count_fails_the_run_at_once_naming_it(broker):
    """Old code: the service waited for conversations that never came; the run stalled 60 s."""

    def forge(t: Forger, tick: int, batch: TickBatch):
        m = batch.closed
        wrong = TickClosed(**{f: getattr(m, f) for f in m.__struct_fields__} | {"count": m.count + 3})
        return [("conversations", _in(t, wrong))]

    outcome, elapsed, _ = _run(broker, forge)
    _refused_in_one_line(outcome, elapsed, r"\d+")
    assert "tick-closed" in str(outcome) or "after the tick was answered" in str(outcome)


def test_events_of_unknown_or_oversized_replications_are_dead_lettered_and_change_nothing(broker, baseline):
    """Old code: each made policy state in the service that was never freed, and the 1.5 MB one's dead
    letter exceeded the producer's limit, dropping the batch's replies until the run timed out."""

    def forge(t: Forger, tick: int, batch: TickBatch):
        c = batch.conversations[0]
        padded = Conversation(**{f: getattr(c, f) for f in c.__struct_fields__} | {"segment": "s" * BIG})
        return [
            ("conversations", _in(t, c, replication=10**6)),
            ("conversations", _in(t, c, replication=7)),  # in range, but no replication starts at this tick
            ("conversations", _in(t, padded)),
        ]

    outcome, _, letters = _run(broker, forge, letters=3)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.per_arm == baseline
    reasons = sorted(letter["reason"] for letter in letters)
    # delivery is at least once: a subscriber restarted for the next lockstep group reads the
    # generation again, so a message may be dead-lettered twice; each forged message is, by offset
    assert len({(x["topic"], x["partition"], x["offset"]) for x in letters}) == 3, reasons
    assert any("numbered 0 to" in r for r in reasons) and any("not under way" in r for r in reasons)
    assert any("over the 1048576-byte limit" in r for r in reasons)
