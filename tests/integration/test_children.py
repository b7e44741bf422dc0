"""A child a run starts can be stopped by SIGTERM even when it was started while the run was being
stopped, with SIGINT and SIGTERM ignored in the run (ignored signals are inherited across exec)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from socialsim.kafka.children import die_with_parent

# [s] how long a child that takes SIGTERM may take to die; one ignoring it lives on for its `sleep`
DIES_WITHIN_S = 10.0
SLEEP_S = "60"


@pytest.fixture
def interrupts_ignored() -> Iterator[None]:
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@contextmanager
def started(in_thread: bool) -> Iterator[subprocess.Popen[bytes]]:
    """A child started from the main thread or from another one, which lives on until the block
    ends: the kernel sends the parent-death signal when the thread that started the child exits."""
    started: list[subprocess.Popen[bytes]] = []
    done = threading.Event()

    def start() -> None:
        started.append(subprocess.Popen(["sleep", SLEEP_S], preexec_fn=die_with_parent))
        if in_thread:
            done.wait()

    thread = threading.Thread(target=start)
    if in_thread:
        thread.start()
        while not started and thread.is_alive():
            time.sleep(0.01)
    else:
        start()
    try:
        yield started[0]
    finally:
        started[0].kill()
        started[0].wait()
        done.set()
        if in_thread:
            thread.join()


@pytest.mark.parametrize("in_thread", [False, True], ids=["main-thread", "other-thread"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_child_started_while_interrupts_are_ignored_takes_them(
    interrupts_ignored: None, in_thread: bool, sig: signal.Signals
) -> None:
    with started(in_thread) as child:
        child.send_signal(sig)
        assert child.wait(timeout=DIES_WITHIN_S) == -sig
