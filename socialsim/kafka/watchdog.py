"""A lost broker ends the run within seconds, naming it, wherever the run happens to be waiting.

The Kafka clients retry a vanished broker for their whole request timeout (a producer waits 40 s
for acknowledgements) and log every attempt; the run may be blocked in any of those waits. So a
thread probes the broker by TCP and, on a loss, interrupts the main thread the way Ctrl-C does:
it sends the process `WAKE_SIGNAL`, whose handler raises `BrokerLost` in the main thread. Only
the main thread can install a signal handler; elsewhere the watchdog is only asked (`check`).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from .broker import BrokerLost, reachable

WAKE_SIGNAL = signal.SIGUSR1


class BrokerWatchdog:
    """Probes `address` every `interval_s` [s], each probe waiting at most `probe_timeout_s` [s]:
    a running Kafka broker always accepts connections, so one refused or timed-out probe is a loss."""

    def __init__(self, address: str, interval_s: float = 1.0, probe_timeout_s: float = 1.0) -> None:
        self.address, self.interval_s, self.probe_timeout_s = address, interval_s, probe_timeout_s
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._armed = False
        self._thread: threading.Thread | None = None
        self._saved_handler: Any = None

    def error(self) -> BrokerLost:
        return BrokerLost(
            f"lost the Kafka broker at {self.address} mid-run (it no longer accepts connections)"
        )

    def check(self) -> None:
        """Probe now; raise BrokerLost if the broker is gone."""
        if self.lost.is_set() or not reachable(self.address, self.probe_timeout_s):
            self.lost.set()
            raise self.error()

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._saved_handler = signal.signal(WAKE_SIGNAL, self._interrupt)
        self._armed = True
        self._thread = threading.Thread(target=self._watch, name="broker-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Disarm first, so a loss noticed from now on no longer interrupts (cleanup is under way)."""
        self._armed = False
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            signal.signal(WAKE_SIGNAL, self._saved_handler)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            if not reachable(self.address, self.probe_timeout_s):
                self.lost.set()
                if self._armed:  # to the main thread, so a wait it is blocked in is interrupted
                    signal.pthread_kill(threading.main_thread().ident or 0, WAKE_SIGNAL)
                return

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self._armed:
            self._armed = False  # once: the cleanup that follows must not be interrupted again
            raise self.error()
