"""An interrupt while the Kafka transport's clients start leaves nothing half-done for the cleanup.

`compare --transport kafka` stopped by SIGTERM just as its clients connect used to hang, or end in
a traceback ("Event loop is closed"): the interrupted start stayed pending on the transport's loop
and woke up inside `shutdown`. The real embedded broker is paused (SIGSTOP) so that the start is
certainly waiting on it when the signal comes: it accepts the connection and answers nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from socialsim.kafka.broker import BrokerLost, EmbeddedBroker
from socialsim.kafka.transport import KafkaTransport
from socialsim.kafka.watchdog import WAKE_SIGNAL

# [s] when the signal comes: well after the clients' start has begun waiting on the paused broker
INTERRUPT_AFTER_S = 0.5


@pytest.fixture
def paused_broker() -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker.start()
    broker.process.send_signal(signal.SIGSTOP)
    try:
        yield broker
    finally:
        broker.process.send_signal(signal.SIGCONT)
        broker.stop()


class _Raising:
    """A signal handler raising `exc` in the main thread, as the command's SIGTERM handler does
    (`stop_on_sigterm`: KeyboardInterrupt) and the broker watchdog's (`BrokerLost`)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        raise self.exc


@pytest.mark.parametrize(
    ("sig", "exc"),
    [(signal.SIGTERM, KeyboardInterrupt()), (WAKE_SIGNAL, BrokerLost("lost the Kafka broker"))],
    ids=["sigterm", "watchdog"],
)
def test_an_interrupt_while_the_clients_start_is_cleaned_up_at_once(
    paused_broker: EmbeddedBroker, sig: signal.Signals, exc: BaseException
) -> None:
    transport = KafkaTransport(
        paused_broker.bootstrap, "interrupted-0", ["support"], admin=_NoTopics(), partitions=1
    )
    previous = signal.signal(sig, _Raising(exc))
    timer = threading.Timer(INTERRUPT_AFTER_S, os.kill, (os.getpid(), sig))
    try:
        timer.start()
        with pytest.raises(type(exc)):
            transport.open({}, [0])
    finally:
        timer.cancel()
        signal.signal(sig, previous)
    assert transport._producer is not None, "the interrupt came before the clients' start"
    assert asyncio.all_tasks(transport.loop) == set(), "the interrupted start is left pending"
    transport.shutdown()  # must neither raise nor wait for the paused broker
    assert transport.loop.is_closed()


class _NoTopics:
    """The transport touches no topic before its clients have started; this admin would say so."""

    def create(self, names: list[str], partitions: int) -> None:
        raise AssertionError(f"created {names} before the clients started")

    def delete(self, names: list[str]) -> None:
        raise AssertionError(f"deleted {names}")
