"""Replies applied in whatever order replications complete change no number (simulator.transport,
docs/architecture.md "The lockstep"): the world sends each replication's tick as soon as it is
closed and applies each replication's replies as they complete. Over Kafka the order depends on
the broker and the services; here a transport answers every tick's replications in a shuffled
order (seeded, different every tick) and the run must equal the in-process one, event for event.
No broker: the interleaving is what is under test, and the in-process policies answer."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import RunResult, run
from socialsim.contracts.events import TickBatch, TickReply
from tests.conftest import small

Key = tuple[int, str]


class Shuffled:
    """The in-process transport, answering each tick's replications in a random order once all are
    sent (as a slow broker would), and sometimes several replications in one `replies` step."""

    name = "shuffled"

    def __init__(self, seed: int) -> None:
        self.inner = inprocess_transport()
        self.random = random.Random(seed)
        self.orders: set[tuple[int, ...]] = set()  # the orders used, to show the test shuffled

    def open(self, arms, replications) -> None:
        self.inner.open(arms, replications)

    def send(self, batches: dict[Key, TickBatch]) -> None:
        self.inner.send(batches)

    def replies(self) -> Iterator[dict[Key, TickReply]]:
        answered = list(self.inner.replies())
        self.random.shuffle(answered)
        self.orders.add(tuple(next(iter(r))[0] for r in answered))
        while answered:
            take = self.random.randint(1, len(answered))
            yield {k: v for replies in answered[:take] for k, v in replies.items()}
            answered = answered[take:]

    def close(self) -> None:
        self.inner.close()


def _run(transport, in_flight: int) -> RunResult:
    return run(small(days=3, replications=4), transport, baseline=no_social(), in_flight=in_flight)


@pytest.fixture(scope="module")
def one_at_a_time() -> RunResult:
    """Each replication alone in its lockstep: nothing to interleave with."""
    return _run(inprocess_transport(), in_flight=1)


def test_replications_answered_in_any_order_give_the_in_process_run_event_for_event(one_at_a_time):
    shuffled = Shuffled(seed=1)
    result = _run(shuffled, in_flight=4)
    in_order = one_at_a_time
    assert len(shuffled.orders) > 1  # the ticks were answered in several orders
    assert result.per_arm == in_order.per_arm
    assert result.per_baseline == in_order.per_baseline
    assert result.per_segment == in_order.per_segment
    assert [t.equals(u) for t, u in zip(result.events, in_order.events, strict=True)] == [True] * len(
        in_order.events
    )
