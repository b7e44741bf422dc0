"""`TickAssembler`: a tick is released once its marker and all its conversations are in, strictly in
order, whatever order and however often Kafka delivers them (docs/architecture.md, Invariants:
Transport parity)."""

from services.assembler import TickAssembler
from tests.events import HOUR, closed, conv


def _ids(batches) -> list[tuple[int, list[str]]]:
    return [(b.closed.tick, sorted(c.id for c in b.conversations)) for b in batches]


def test_a_tick_waits_until_its_count_is_reached():
    a = TickAssembler()
    a.add(closed(0, count=2))
    a.add(conv(1, 5.0))
    assert a.ready() == []  # the marker announced two, one arrived
    a.add(conv(2, 6.0))
    assert _ids(a.ready()) == [(0, ["c1", "c2"])]


def test_the_marker_may_arrive_before_or_after_its_conversations():
    early, late = TickAssembler(), TickAssembler()
    for event in (closed(0, 2), conv(2, 6.0), conv(1, 5.0)):
        early.add(event)
    for event in (conv(2, 6.0), conv(1, 5.0)):
        late.add(event)
    assert late.ready() == []  # no marker yet: the tick may hold more
    late.add(closed(0, 2))
    assert _ids(early.ready()) == _ids(late.ready()) == [(0, ["c1", "c2"])]


def test_duplicates_count_once():
    a = TickAssembler()
    for event in (conv(1, 5.0), conv(1, 5.0), closed(0, 2), closed(0, 2)):
        a.add(event)
    assert a.ready() == []  # one distinct conversation of two: a duplicate does not make the count
    a.add(conv(2, 6.0))
    (batch,) = a.ready()
    assert sorted(c.id for c in batch.conversations) == ["c1", "c2"]


def test_a_complete_later_tick_waits_for_an_incomplete_earlier_one():
    a = TickAssembler()
    a.add(closed(1, 1))
    a.add(conv(7, HOUR + 1))
    a.add(closed(0, 1))
    assert a.ready() == []  # tick 1 is complete, tick 0 is not: nothing may skip ahead
    a.add(conv(3, 1.0))
    assert _ids(a.ready()) == [(0, ["c3"]), (1, ["c7"])]


def test_an_empty_tick_is_released_on_its_marker():
    a = TickAssembler()
    a.add(closed(0, 0))
    assert _ids(a.ready()) == [(0, [])]


def test_redelivery_of_a_finished_tick_changes_nothing():
    a = TickAssembler()
    for event in (conv(1, 5.0), closed(0, 1)):
        a.add(event)
    assert len(a.ready()) == 1
    for event in (conv(1, 5.0), conv(9, 9.0), closed(0, 2)):
        a.add(event)  # tick 0 again, even with a different count: already handled
    a.add(closed(1, 0))
    assert _ids(a.ready()) == [(1, [])] and a.next_tick == 2
