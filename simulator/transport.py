"""The seam between the simulated world and the strategy services (DESIGN §4, the lockstep).

Per tick the world hands every arm its `TickBatch` and gets back one `TickReply` per arm. The
in-process transport calls the policies directly; the Kafka transport publishes the same events
and waits for the same replies. Both see every arm of a replication at once, so a networked
transport can let the arms' services work in parallel.
"""

from __future__ import annotations

from typing import Protocol

from socialsim.contracts.events import TickBatch, TickReply
from socialsim.contracts.strategy import Strategy


class TransportError(RuntimeError):
    """The transport could not deliver a tick (broker unreachable, a service gone, a timeout)."""


class Transport(Protocol):
    name: str

    def open(self, arms: dict[str, Strategy], replication: int) -> None:
        """Prepare fresh strategy state for every arm (called once per replication)."""

    def exchange(self, batches: dict[str, TickBatch]) -> dict[str, TickReply]:
        """Deliver one tick to every arm and return each arm's reply."""

    def close(self) -> None:
        """Release what `open` acquired."""


class InProcessTransport:
    """Calls each arm's policy in this process: the fast path for sweeps, and the parity baseline."""

    name = "inproc"

    def __init__(self) -> None:
        self._policies: dict = {}

    def open(self, arms: dict[str, Strategy], replication: int) -> None:
        from services.policy import Policy  # the composition of world and policy happens here only

        self._policies = {arm: Policy(strategy, arm) for arm, strategy in arms.items()}

    def exchange(self, batches: dict[str, TickBatch]) -> dict[str, TickReply]:
        return {arm: self._policies[arm].handle(batch) for arm, batch in batches.items()}

    def close(self) -> None:
        self._policies = {}
