"""`DepartmentQueue`: a pool of agents on shift (M/G/c). One agent handles one post for its whole
handle time, several work in parallel, an agent free at t takes the best post already written at t
(never a later one), priority orders what is ready, given-up and answered posts are skipped, and a
fractional headcount is a part-time agent for the first fraction of the shift."""

import pytest

from services.queues import (
    PART_TIME_BLOCK_MINUTES,
    READY_SWEEP_MIN,
    Deadlines,
    DepartmentQueue,
    Item,
    agents_for,
    ready_entry,
)
from tests.events import conv

SHIFT_START = 0.0  # [minute]
HANDLE = 10.0  # agent time per post in these cases [minutes]


def item(i: int, minute: float, priority: float = 1.0, deadline: float = 10_000.0) -> Item:
    """Conversation c<i>, ready as soon as it is written."""
    return Item(
        conversation=conv(i, minute), need="answer", priority=priority, ready=minute, deadline=deadline
    )


def served(
    headcount: float, *items: Item, open_: float = 0.0, close: float = 1_000.0
) -> tuple[DepartmentQueue, dict[str, tuple[float, float]]]:
    """Serve `items` with `headcount` agents over [open_, close): conversation id -> (start, done)."""
    q = DepartmentQueue(name="support", headcount=headcount)
    for it in items:
        q.push(it)
    out: dict[str, tuple[float, float]] = {}

    def work(it: Item, start: float) -> float:
        it.done = True
        out[it.conversation.id] = (start, start + HANDLE)
        return HANDLE

    q.serve(open_, close, SHIFT_START, work)
    return q, out


def test_two_posts_at_once_with_two_agents_are_both_answered_after_one_handle_time():
    _, out = served(2.0, item(1, 5.0), item(2, 5.0))
    assert out == {"c1": (5.0, 15.0), "c2": (5.0, 15.0)}


def test_one_agent_answers_them_one_handle_time_apart():
    _, out = served(1.0, item(1, 5.0), item(2, 5.0))
    assert out == {"c1": (5.0, 15.0), "c2": (15.0, 25.0)}


def test_a_lone_post_takes_the_whole_handle_time_however_many_agents_there_are():
    for headcount in (1.0, 3.0, 7.5):
        _, out = served(headcount, item(1, 5.0))
        assert out == {"c1": (5.0, 15.0)}


def test_an_agent_free_at_t_never_takes_a_post_written_after_t():
    _, out = served(1.0, item(1, 10.0, priority=1), item(2, 12.0, priority=9))
    assert out == {"c1": (10.0, 20.0), "c2": (20.0, 30.0)}  # c2 ranks higher but did not exist at 10


def test_a_busy_agent_does_not_stop_a_free_one_taking_a_later_post():
    _, out = served(2.0, item(1, 0.0), item(2, 3.0), item(3, 4.0))
    assert out == {"c1": (0.0, 10.0), "c2": (3.0, 13.0), "c3": (10.0, 20.0)}


def test_ready_items_are_taken_by_priority_then_by_age():
    _, out = served(
        1.0,
        item(1, 1.0, priority=1),
        item(2, 2.0, priority=5),
        item(3, 3.0, priority=5),
        item(4, 0.5),
        open_=10.0,
    )
    assert sorted(out, key=lambda c: out[c][0]) == ["c2", "c3", "c4", "c1"]


def test_given_up_and_answered_items_are_skipped():
    gave_up = item(1, 1.0, priority=9, deadline=5.0)
    answered, waiting = item(2, 1.0, priority=8), item(3, 1.0)
    answered.done = True
    q, out = served(1.0, gave_up, answered, waiting, open_=5.0)
    assert out == {"c3": (5.0, 15.0)} and len(q) == 0


def test_posts_given_up_deep_in_the_ready_heap_leave_it_and_the_best_post_is_still_taken():
    """A busy department never reaches its low-priority posts: once given up they must leave the
    heap, or its memory grows with simulated time."""
    q = DepartmentQueue(name="support", headcount=1.0)
    low = [item(i, 0.0, priority=0.5) for i in range(2 * READY_SWEEP_MIN)]
    for it in low:
        q.push(it)
    q.take(0.0)
    for it in low:
        it.done = True  # their customers gave up
    high = [item(len(low) + i, 1.0, priority=2.0) for i in range(4 * READY_SWEEP_MIN)]
    for it in high:
        q.push(it)
    assert q.take(1.0) is min(high, key=ready_entry)
    assert len(q._ready) == len(high) - 1  # only the high-priority posts not yet taken


def test_stream_posts_out_of_the_order_written_are_still_taken_by_priority_then_by_age():
    """Posts from the stream wait in arrival order; a batch that starts before the last one arrived
    (never in a run) must still be taken as if it had come in order."""
    q = DepartmentQueue(name="support", headcount=1.0)
    q.arrive([item(1, 10.0), item(2, 20.0)])
    q.arrive([item(3, 5.0, priority=2.0), item(4, 30.0)])
    taken = []

    def work(it: Item, start: float) -> float:
        taken.append((it.conversation.id, start))
        return 1.0

    q.serve(0.0, 100.0, SHIFT_START, work)
    assert taken == [("c3", 5.0), ("c1", 10.0), ("c2", 20.0), ("c4", 30.0)]


def test_posts_arriving_at_the_window_end_wait_for_the_next_window():
    q, out = served(1.0, item(1, 50.0), close=50.0)
    assert out == {} and len(q) == 1


def test_a_post_started_before_the_shift_ends_is_finished_and_the_agent_stays_busy():
    q, out = served(1.0, item(1, 95.0), item(2, 96.0), close=100.0)
    assert out == {"c1": (95.0, 105.0)}  # non-preemptive; c2 waits for the next shift
    assert q.agents[0].free_at == 105.0 and len(q) == 1


def test_a_fractional_headcount_is_a_part_time_agent_for_the_first_fraction_of_every_block():
    assert PART_TIME_BLOCK_MINUTES == 60.0  # the cases below are laid out in hours
    assert [a.share for a in agents_for(22 / 12)] == pytest.approx([1.0, 10 / 12])
    assert [a.share for a in agents_for(2.0)] == [1.0, 1.0] and agents_for(0.0) == []
    # 1.5 agents: the part-timer works minutes 0-30 and 60-90 of each two hours
    _, out = served(1.5, item(1, 20.0), item(2, 20.0), close=120.0)
    assert out == {"c1": (20.0, 30.0), "c2": (20.0, 30.0)}
    _, out = served(1.5, item(1, 35.0), item(2, 35.0), close=120.0)
    assert out == {"c1": (35.0, 45.0), "c2": (45.0, 55.0)}  # the part-timer is off from 30 to 60
    # a part-timer alone finishes the post it started at 25 and is back at 60
    _, out = served(0.5, item(1, 25.0), item(2, 26.0), close=120.0)
    assert out == {"c1": (25.0, 35.0), "c2": (60.0, 70.0)}


def test_load_reports_the_backlog_and_the_staffed_and_busy_agent_minutes():
    q, _ = served(1.5, item(1, 1.0), item(2, 2.0), item(3, 300.0), close=120.0)
    load = q.load()
    assert load.backlog == 1  # c3 is not written yet
    assert load.staffed_minutes == pytest.approx(120.0 + 60.0)  # all of 2 hours + half of each hour
    assert load.worked_minutes == pytest.approx(2 * HANDLE)


def test_deadlines_report_each_unanswered_post_once_when_its_customer_gives_up():
    d = Deadlines()
    late, answered, open_at_end = (
        item(1, 0.0, deadline=30.0),
        item(2, 0.0, deadline=20.0),
        item(3, 0.0, deadline=500.0),
    )
    for it in (late, answered, open_at_end):
        d.watch(it)
    answered.done = True
    assert d.due(10.0, final=False) == []
    assert d.due(60.0, final=False) == [(late, 30.0)]
    assert d.due(120.0, final=True) == [(open_at_end, 120.0)]  # the horizon ends before its deadline
    assert d.due(180.0, final=True) == []


def test_a_deadline_watched_out_of_order_is_still_reported_when_it_passes():
    """Deadlines are kept in a queue (posts arrive in time order); one that comes out of order
    must not wait behind a later one."""
    d = Deadlines()
    later, sooner, last = (
        item(1, 0.0, deadline=100.0),
        item(2, 0.0, deadline=50.0),
        item(3, 0.0, deadline=70.0),
    )
    for it in (later, sooner, last):
        d.watch(it)
    assert d.due(60.0, final=False) == [(sooner, 50.0)]
    assert d.due(100.0, final=False) == [(last, 70.0), (later, 100.0)]


def test_a_batch_of_deadlines_that_starts_before_the_last_one_watched_is_merged_in_order():
    d = Deadlines()
    d.watch_all([item(1, 0.0, deadline=40.0), item(2, 0.0, deadline=90.0)])
    d.watch_all([item(3, 0.0, deadline=60.0), item(4, 0.0, deadline=95.0)])
    assert [(i.conversation.id, m) for i, m in d.due(100.0, final=False)] == [
        ("c1", 40.0),
        ("c3", 60.0),
        ("c2", 90.0),
        ("c4", 95.0),
    ]
