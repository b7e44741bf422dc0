"""`StrategyService.receive`: bytes in, events or dead letters out, with no broker (the FastStream app
only moves these bytes; tests/unit/test_kafka_app.py drives it). docs/architecture.md, Invariants:
Bad input is refused cleanly, Transport parity."""

from services.host import Record, StrategyService
from services.policy import Policy
from socialsim.contracts.events import TickBatch
from socialsim.contracts.wire import Inbound, encode
from tests.events import HOUR, closed, conv, strategy

RUN, ARM, TOPIC = "run-1", "comms-led", "run-1.comms-led.conversations.0"
AT9 = 9 * HOUR  # inside comms' 8-20 shift, so posts are answered within the tick
NIGHT = [closed(t, 0) for t in range(9)]  # ticks 0-8, empty: ticks are released strictly in order


def _records(*events, run: str = RUN, replication: int = 0) -> list[Record]:
    return [
        Record(TOPIC, 0, offset, encode(Inbound(run=run, replication=replication, event=e)))
        for offset, e in enumerate(events)
    ]


def _service() -> StrategyService:
    return StrategyService(strategy(ARM), ARM, RUN)


def test_a_valid_tick_gives_the_policys_events_in_canonical_order():
    convs = [conv(1, AT9 + 1, "complaint"), conv(2, AT9 + 2), conv(3, AT9 + 3, "chatter")]
    out = _service().receive(_records(*NIGHT, convs[2], closed(9, 3), convs[0], convs[1]))
    policy = Policy(strategy(ARM), ARM)
    expected = [policy.handle(TickBatch(conversations=[], closed=c)) for c in NIGHT]
    expected.append(policy.handle(TickBatch(conversations=convs, closed=closed(9, 3))))
    assert out.dead_letters == [] and expected[-1].responses
    assert [o.event for o in out.outbound] == [
        e for reply in expected for e in (*reply.responses, *reply.broadcasts, reply.done)
    ]
    assert {(o.run, o.replication) for o in out.outbound} == {(RUN, 0)}
    assert out.outbound[-1].event.responses == 3  # the tick-done marker closes the reply


def test_malformed_bytes_are_dead_lettered_with_the_reason_and_the_original():
    out = _service().receive([Record(TOPIC, 2, 41, b"{not json")])
    (letter,) = out.dead_letters
    assert (letter.topic, letter.partition, letter.offset) == (TOPIC, 2, 41)
    assert letter.reason.startswith("not a valid event") and letter.original == "{not json"
    assert out.outbound == []


def test_an_event_of_another_run_is_dead_lettered_naming_both_runs():
    out = _service().receive(_records(closed(0, 0), run="old-run"))  # would be answered in our run
    (letter,) = out.dead_letters
    assert "'old-run'" in letter.reason and f"'{RUN}'" in letter.reason
    assert out.outbound == []


def test_a_replication_is_forgotten_after_its_final_tick_and_its_redelivery_ignored():
    service = _service()
    final = _records(*NIGHT, conv(1, AT9 + 1), closed(9, 1, final=True), replication=3)
    first = service.receive(final)
    assert first.outbound[-1].event.tick == 9 and 3 not in service.replications and service.finished == {3}
    again = service.receive(final)
    assert (again.outbound, again.dead_letters) == ([], [])


def test_a_redelivered_tick_is_answered_once():
    service = _service()
    ticks = _records(*NIGHT, conv(1, AT9 + 1), closed(9, 1))
    assert service.receive(ticks).outbound[-1].event.tick == 9
    again = service.receive(ticks)
    assert (again.outbound, again.dead_letters) == ([], [])
    assert 0 in service.replications  # not final: the replication goes on


def test_replications_are_assembled_apart():
    service = _service()
    out = service.receive(_records(closed(0, 1), replication=0) + _records(closed(0, 0), replication=1))
    assert [(o.replication, type(o.event).__name__) for o in out.outbound] == [(1, "TickDone")]
    assert service.receive(_records(conv(5, 5.0), replication=0)).outbound[0].replication == 0
