"""`DepartmentQueue`: an agent free at t takes the best post already written at t, never a later
one; priority orders what is ready; given-up and already-answered posts are skipped."""

from services.queues import DepartmentQueue, Item
from tests.events import conv

WINDOW_END = 1_000.0  # far beyond every item here [minutes]


def item(i: int, minute: float, priority: float = 1.0, deadline: float = WINDOW_END) -> Item:
    """Conversation c<i>, ready as soon as it is written."""
    c = conv(i, minute)
    return Item(conversation=c, need="answer", priority=priority, ready=minute, deadline=deadline)


def _queue(*items: Item) -> DepartmentQueue:
    q = DepartmentQueue(name="support", headcount=1.0)
    for it in items:
        q.push(it)
    return q


def test_an_agent_free_at_t_never_takes_a_post_written_after_t():
    q = _queue(item(1, 10.0, priority=1), item(2, 12.0, priority=9))
    start, first = q.next_item(10.0, WINDOW_END)
    assert (start, first.conversation.id) == (10.0, "c1")  # c2 ranks higher but does not exist yet
    start, second = q.next_item(10.0, WINDOW_END)
    assert (start, second.conversation.id) == (12.0, "c2")  # the agent waits until it is written


def test_an_idle_agent_waits_for_the_next_post_within_the_window_only():
    q = _queue(item(1, 50.0))
    assert q.next_item(0.0, window_end=50.0) is None  # written at the window's end: the next window's
    assert q.next_item(0.0, window_end=60.0)[0] == 50.0


def test_ready_items_are_taken_by_priority_then_by_age():
    q = _queue(item(1, 1.0, priority=1), item(2, 2.0, priority=5), item(3, 3.0, priority=5), item(4, 0.5))
    order = [q.next_item(10.0, WINDOW_END)[1].conversation.id for _ in range(4)]
    assert order == ["c2", "c3", "c4", "c1"]


def test_given_up_and_answered_items_are_skipped():
    gave_up = item(1, 1.0, priority=9, deadline=5.0)
    answered, waiting = item(2, 1.0, priority=8), item(3, 1.0)
    answered.done = True
    q = _queue(gave_up, answered, waiting)
    assert q.next_item(5.0, WINDOW_END)[1] is waiting
    assert q.next_item(5.0, WINDOW_END) is None


def test_load_reports_the_backlog_and_the_agent_minutes():
    q = _queue(item(1, 1.0), item(2, 2.0), item(3, 300.0))
    q.staffed_minutes, q.worked_minutes = 120.0, 45.0
    assert (q.load().backlog, len(q)) == (3, 3)  # waiting, ready or not yet written
    q.next_item(2.0, WINDOW_END)[1].done = True
    load = q.load()
    assert (load.backlog, load.staffed_minutes, load.worked_minutes) == (2, 120.0, 45.0)
