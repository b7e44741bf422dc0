"""Events are checked for meaning, not only shape, on both ends (services/assembler.py, services/host.py,
socialsim/kafka/replies.py): a forged event is ignored and counted, dead-lettered with a reason, or
stops the run with one line naming arm, replication and tick; it never changes a number. Hand-built
events here; the same checks on a real broker are in tests/integration/test_event_meaning.py, and
the property tests at the end drive the harness of fuzz/events.py with hypothesis."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.events import (
    clean_replies,
    collect,
    deliver,
    forge_inbound,
    forge_outbound,
    inbound,
    make_ticks,
    outbound,
    serve,
)
from services.host import MAX_REPLICATIONS, EventConflict, Record, StrategyService
from services.policy import Policy
from socialsim.contracts.events import TickBatch, TickDone
from socialsim.contracts.wire import EXCERPT_BYTES, MAX_EVENT_BYTES, Inbound, Outbound, encode
from socialsim.kafka.replies import ReplyConflict, ReplyLedger
from tests.events import HOUR, closed, conv, strategy

RUN, ARM, TOPIC = "run-1", "comms-led", "run-1.comms-led.conversations.0"
AT9 = 9 * HOUR  # inside comms' 8-20 shift: posts are answered within their tick
NIGHT = [closed(t, 0) for t in range(9)]


def _records(*events, replication: int = 0, run: str = RUN) -> list[Record]:
    return [
        Record(TOPIC, 0, offset, encode(Inbound(run=run, replication=replication, event=e)))
        for offset, e in enumerate(events)
    ]


def _service(**options) -> StrategyService:
    return StrategyService(strategy(ARM), ARM, RUN, **options)


# ---- the service ---------------------------------------------------------------------------------
def test_a_conversation_for_a_later_tick_is_dead_lettered_and_never_reaches_the_policy():
    forged, clean = _service(), _service()
    start = _records(closed(0, 1))
    forged.receive(start)
    clean.receive(start)
    early = forged.receive(_records(conv(99, HOUR + 5)))  # tick 1 while tick 0 is being assembled
    (letter,) = early.dead_letters
    assert "tick 1 while tick 0 is being assembled" in letter.reason and early.outbound == []
    ticks = _records(conv(1, 5.0), conv(2, HOUR + 1), closed(1, 1))
    assert forged.receive(ticks).outbound == clean.receive(ticks).outbound


def test_a_replication_another_instance_serves_is_ignored_and_counted_never_answered():
    """Instances of one strategy read the same topics; a stream's state lives on its owner only."""
    mine, everyone = _service(owns={1}.__contains__), _service()
    for rep in (0, 1):
        tick = _records(conv(1, 5.0), closed(0, 1), replication=rep)
        answered = mine.receive(tick)
        assert answered.outbound == ([] if rep == 0 else everyone.receive(tick).outbound)
        assert answered.dead_letters == []
    assert set(mine.replications) == {1} and mine.ignored["another instance's replication"] == 2


def test_more_conversations_than_announced_stop_the_service_naming_arm_replication_and_tick():
    service = _service()
    with pytest.raises(EventConflict, match=r"^arm comms-led, replication 2, tick 0: more distinct"):
        service.receive(_records(closed(0, 1), conv(1, 5.0), conv(2, 6.0), replication=2))


def test_a_second_marker_with_another_count_stops_the_service_instead_of_a_stall():
    service = _service()
    assert service.receive(_records(closed(0, 3))).outbound == []  # forged: three never come
    with pytest.raises(EventConflict, match="tick 0: two different tick-closed markers"):
        service.receive(_records(closed(0, 1)))


def test_a_smaller_forged_count_is_caught_when_the_genuine_conversation_arrives():
    service = _service()
    service.receive(_records(closed(0, 1), conv(1, 5.0)))  # released with one of two
    with pytest.raises(EventConflict, match="tick 0: a Conversation arrived after the tick was answered"):
        service.receive(_records(conv(2, 6.0)))


@pytest.mark.parametrize("split", [4, 2], ids=["one batch", "genuine events in the next batch"])
def test_a_smaller_forged_count_on_the_final_tick_is_caught_after_the_replication_ended(split):
    # The fuzzer's minimal case: a forged final marker announcing none of the tick's one
    # conversation, then a forged event of a later tick (which makes the service answer the
    # seemingly complete tick at once), then the genuine conversation and marker.
    stream = _records(closed(0, 0, final=True), conv(99, HOUR + 5), conv(1, 5.0), closed(0, 1, final=True))
    service = _service()
    with pytest.raises(EventConflict, match="replication 0, tick 0: a Conversation arrived after the tick"):
        for records in (stream[:split], stream[split:]):
            service.receive(records)
    assert service.finished == {0}  # it was answered early; the genuine events were not ignored


def test_replications_outside_the_contract_or_starting_late_are_dead_lettered_without_state():
    service = _service()
    out = service.receive(
        _records(closed(0, 0), replication=MAX_REPLICATIONS)
        + _records(closed(0, 0), replication=-1)
        + _records(closed(3, 0), replication=5)
    )
    reasons = [letter.reason for letter in out.dead_letters]
    assert len(reasons) == 3 and f"numbered 0 to {MAX_REPLICATIONS - 1}" in reasons[0]
    assert "first event is of tick 3, not 0" in reasons[2]
    assert service.replications == {} and out.outbound == []


def test_an_idle_replication_is_forgotten_and_its_return_fails_fast():
    service = _service(idle_ticks=2)
    service.receive(_records(conv(1, 5.0), replication=9))  # a forged replication, never closed
    service.receive(_records(*NIGHT[:3]))  # replication 0 moves three ticks ahead
    assert 9 not in service.replications and 0 in service.replications
    with pytest.raises(EventConflict, match="replication 9, tick 1: .* was forgotten"):
        service.receive(_records(closed(1, 0), replication=9))


def test_redelivery_is_ignored_and_counted():
    service = _service()
    ticks = _records(*NIGHT, conv(1, AT9 + 1), closed(9, 1))
    service.receive(ticks)
    again = service.receive(ticks)
    assert (again.outbound, again.dead_letters) == ([], [])
    assert service.ignored == {"stale": 9, "duplicate": 2}  # ticks 0-8, and tick 9's two events


def test_an_oversized_message_gets_a_dead_letter_that_fits_with_its_size_and_digest():
    value = b'{"run": "' + b"r" * (MAX_EVENT_BYTES + MAX_EVENT_BYTES // 2) + b'"}'
    (letter,) = _service().receive([Record(TOPIC, 1, 7, value)]).dead_letters
    assert f"message of {len(value)} bytes" in letter.reason
    assert len(letter.original.encode()) <= EXCERPT_BYTES and letter.original_bytes == len(value)
    assert letter.original_sha256 == hashlib.sha256(value).hexdigest()
    assert len(encode(letter)) < 4 * EXCERPT_BYTES


@pytest.mark.parametrize("field,word", [("intent", "shout"), ("topic_kind", "rumour")])
def test_a_conversation_outside_the_vocabulary_is_dead_lettered_at_decode(field, word):
    (record,) = _records(conv(1, 5.0))
    value = record.value.replace(f'"{field}":"'.encode(), f'"{field}":"{word}","x":"'.encode())
    (letter,) = _service().receive([Record(TOPIC, 0, 0, value)]).dead_letters
    assert letter.reason.startswith("not a valid event") and field in letter.reason


# ---- the simulator -------------------------------------------------------------------------------
KEY = (0, ARM)


def _tick(t: int, *convs) -> TickBatch:
    return TickBatch(conversations=list(convs), closed=closed(t, len(convs), final=False))


def _ledger(batch: TickBatch) -> tuple[ReplyLedger, list[Outbound]]:
    """A ledger that has sent `batch`, and the policy's genuine reply to it."""
    ledger = ReplyLedger(RUN)
    ledger.open([0])
    ledger.sent({KEY: batch})
    reply = Policy(strategy(ARM), ARM).handle(batch)
    genuine = [Outbound(run=RUN, replication=0, event=e) for e in (*reply.responses, reply.done)]
    return ledger, genuine


def _other(msg: Outbound, **changes) -> Outbound:
    fields = {f: getattr(msg.event, f) for f in msg.event.__struct_fields__} | changes
    return Outbound(run=msg.run, replication=msg.replication, event=type(msg.event)(**fields))


TICK9 = _tick(9, conv(1, AT9 + 1), conv(2, AT9 + 2))


def test_a_second_different_response_to_one_conversation_fails_naming_arm_replication_and_tick():
    ledger, genuine = _ledger(TICK9)
    assert ledger.ingest(genuine[0], ARM) is None
    with pytest.raises(
        ReplyConflict, match=r"^arm comms-led, replication 0, tick 9: two different responses"
    ):
        ledger.ingest(_other(genuine[0], id="x", action="none"), ARM)


def test_identical_repeats_are_ignored_and_counted_and_change_nothing():
    ledger, genuine = _ledger(TICK9)
    for msg in genuine + genuine:
        assert ledger.ingest(msg, ARM) is None
    assert ledger.complete() and ledger.ignored == {"duplicate": 3}
    assert [r.conversation_id for r in ledger.replies()[KEY].responses] == ["c1", "c2"]


def test_a_response_to_a_conversation_never_sent_is_dead_lettered_and_never_counts():
    ledger, genuine = _ledger(TICK9)
    forged = _other(genuine[0], conversation_id="c77")
    assert "conversation 'c77' of customer 1, which this run never sent" in ledger.ingest(forged, ARM)
    for msg in genuine[1:]:
        ledger.ingest(msg, ARM)
    assert not ledger.complete() and ledger.unsettled()  # 1 genuine + 1 unsent make the count
    ledger.ingest(genuine[0], ARM)
    assert ledger.complete() and ledger.unsettled() == []


def test_a_tick_done_met_only_by_unsent_conversations_is_reported_in_one_line():
    ledger, genuine = _ledger(TICK9)
    ledger.ingest(_other(genuine[0], conversation_id="c77"), ARM)
    ledger.ingest(genuine[1], ARM)
    ledger.ingest(genuine[-1], ARM)  # the tick-done: 2 responses
    (line,) = ledger.unsettled()
    assert line.startswith("arm comms-led, replication 0, tick 9:") and "never sent" in line


def test_a_reply_for_a_tick_not_yet_sent_is_dead_lettered():
    ledger, genuine = _ledger(TICK9)
    assert "reply for tick 10" in ledger.ingest(_other(genuine[0], tick=10), ARM)


def test_more_replies_than_the_tick_done_announces_fail():
    ledger, genuine = _ledger(TICK9)
    ledger.ingest(_other(genuine[-1], responses=1), ARM)  # forged tick-done: one response
    ledger.ingest(genuine[0], ARM)
    ledger.ingest(genuine[1], ARM)
    with pytest.raises(ReplyConflict, match="tick 9: more distinct replies than its tick-done announces"):
        ledger.complete()


def test_a_genuine_reply_after_its_tick_was_completed_by_a_forged_one_fails():
    ledger, genuine = _ledger(TICK9)
    forged_done = _other(genuine[-1], responses=1)
    for msg in (genuine[0], forged_done):
        ledger.ingest(msg, ARM)
    assert ledger.complete()
    ledger.replies()
    ledger.sent({KEY: _tick(10)})
    with pytest.raises(ReplyConflict, match="tick 9: a response to conversation 'c2' arrived after its tick"):
        ledger.ingest(genuine[1], ARM)


def test_conversations_unanswered_after_the_final_tick_fail():
    ledger = ReplyLedger(RUN)
    ledger.open([0])
    ledger.sent({KEY: TickBatch(conversations=[conv(1, 5.0)], closed=closed(0, 1, final=True))})
    ledger.ingest(Outbound(run=RUN, replication=0, event=TickDone(tick=0, responses=0, broadcasts=0)), ARM)
    assert ledger.complete()
    with pytest.raises(ReplyConflict, match="tick 0: 1 conversations still unanswered after the final tick"):
        ledger.replies()


def test_replications_not_in_flight_are_dead_lettered_and_earlier_ones_ignored():
    ledger, genuine = _ledger(TICK9)
    assert "replication 4 of arm comms-led is not in flight" in ledger.ingest(
        Outbound(run=RUN, replication=4, event=genuine[0].event), ARM
    )
    ledger.open([1])  # the next lockstep group: replication 0 is done
    assert ledger.ingest(genuine[0], ARM) is None and ledger.ignored["earlier replication"] == 1


@pytest.mark.parametrize("field,word", [("action", "bribe"), ("tone", "shouting"), ("department", "legal")])
def test_a_response_outside_the_vocabulary_is_dead_lettered_at_decode(field, word):
    ledger, genuine = _ledger(TICK9)
    value = encode(genuine[0]).replace(f'"{field}":"'.encode(), f'"{field}":"{word}","x":"'.encode())
    assert ledger.read(value, ARM).startswith("not a valid event")
    assert ledger.read(value + b" " * MAX_EVENT_BYTES, ARM).startswith("message of")


def test_a_broadcast_id_no_policy_gives_is_dead_lettered():
    ledger, _ = _ledger(TICK9)
    from_policy = Policy(strategy(ARM, broadcasts={"per_week": 70.0, "hour": 9}), ARM).handle(TICK9)
    (b, *_) = from_policy.broadcasts
    forged = type(b)(id="comms-led:b:x", tick=b.tick, minute=b.minute, department=b.department,
                     offer=b.offer, targeting=b.targeting)  # fmt: skip
    assert "is not comms-led:b:<number>" in ledger.ingest(Outbound(run=RUN, replication=0, event=forged), ARM)


# ---- properties ----------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(rng=st.randoms(use_true_random=False), forgeries=st.sampled_from([0.0, 0.5, 2.0]))
def test_the_service_answers_as_on_a_clean_stream_or_refuses_cleanly(rng, forgeries):
    batches = make_ticks(rng, rng.randint(1, 5), rng.randint(0, 5))
    expected = clean_replies(batches)
    outcome = serve(deliver(rng, inbound(batches), batches, forge_inbound, forgeries), expected)
    assert outcome.kind in (("same",) if forgeries == 0 else ("same", "refused")), outcome.detail


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(rng=st.randoms(use_true_random=False), forgeries=st.sampled_from([0.0, 0.5, 2.0]))
def test_the_simulator_takes_the_clean_replies_or_refuses_cleanly(rng, forgeries):
    batches = make_ticks(rng, rng.randint(1, 5), rng.randint(0, 5))
    expected = clean_replies(batches)
    replies = deliver(rng, outbound(expected, batches), batches, forge_outbound, forgeries)
    outcome = collect(batches, replies, expected)
    assert outcome.kind in (("same",) if forgeries == 0 else ("same", "refused")), outcome.detail
