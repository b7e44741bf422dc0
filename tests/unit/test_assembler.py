"""`TickAssembler`: a tick is released once its marker and all its conversations are in, strictly in
order, whatever order and however often Kafka delivers them (docs/architecture.md, Invariants:
Transport parity)."""

import pytest

from services.assembler import TickAssembler, TickConflict
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


def test_a_later_tick_is_refused_while_an_earlier_one_is_assembled():
    """The simulator sends tick 1 only after tick 0 is answered, so tick 1 now is not its event."""
    a = TickAssembler()
    a.add(closed(0, 1))
    assert "tick 1" in (a.add(closed(1, 1)) or "") and "tick 1" in (a.add(conv(7, HOUR + 1)) or "")
    assert a.ready() == []  # nothing may skip ahead of tick 0
    a.add(conv(3, 1.0))
    assert _ids(a.ready()) == [(0, ["c3"])]
    assert a.add(closed(1, 0)) is None and _ids(a.ready()) == [(1, [])]  # strictly in order


def test_an_empty_tick_is_released_on_its_marker():
    a = TickAssembler()
    a.add(closed(0, 0))
    assert _ids(a.ready()) == [(0, [])]


def test_redelivery_of_a_finished_tick_changes_nothing():
    a = TickAssembler()
    for event in (conv(1, 5.0), closed(0, 1)):
        a.add(event)
    assert len(a.ready()) == 1
    for event in (conv(1, 5.0), closed(0, 1)):
        assert a.add(event) is None  # tick 0 again, exactly as answered: ignored
    assert a.ready() == [] and a.next_tick == 1
    a.add(closed(1, 0))
    assert _ids(a.ready()) == [(1, [])]


def test_a_finished_tick_that_changes_is_a_conflict():
    """An event the answered tick did not hold means the stream holds what the simulator never sent."""
    a = TickAssembler()
    for event in (conv(1, 5.0), closed(0, 1)):
        a.add(event)
    a.ready()
    with pytest.raises(TickConflict, match="tick 0"):
        a.add(conv(9, 9.0))
