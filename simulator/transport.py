"""The seam between the simulated world and the strategy services (DESIGN §4, the lockstep).

Per tick the world hands every (replication, arm) its `TickBatch` and gets back one `TickReply`
for each. The in-process transport calls the policies directly; the Kafka transport publishes
the same events and waits for the same replies. Both see every arm of every replication in
flight at once, so a networked transport can let the arms' services work in parallel and pays
one round trip per tick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from socialsim.contracts.events import TickBatch, TickReply
from socialsim.contracts.strategy import Strategy

if TYPE_CHECKING:
    from socialsim.telemetry.meter import PolicyMeter


class TransportError(RuntimeError):
    """The transport could not deliver a tick (broker unreachable, a service gone, a timeout)."""


class Transport(Protocol):
    name: str

    def open(self, arms: dict[str, Strategy], replications: list[int]) -> None:
        """Prepare fresh strategy state for every arm of these replications."""

    def exchange(self, batches: dict[tuple[int, str], TickBatch]) -> dict[tuple[int, str], TickReply]:
        """Deliver one tick to every (replication, arm) and return each one's reply."""

    def close(self) -> None:
        """Release what `open` acquired."""


class InProcessTransport:
    """Calls each arm's policy in this process: the fast path for sweeps, and the parity baseline."""

    name = "inproc"

    def __init__(self, meter: PolicyMeter | None = None) -> None:
        """`meter`, if given, sees every policy after each tick (`PolicyMeter.observe`)."""
        self._policies: dict = {}
        self.meter = meter

    def open(self, arms: dict[str, Strategy], replications: list[int]) -> None:
        from services.policy import Policy  # the composition of world and policy happens here only

        self._policies = {(rep, arm): Policy(strategy, arm) for rep in replications for arm, strategy in arms.items()}

    def exchange(self, batches: dict[tuple[int, str], TickBatch]) -> dict[tuple[int, str], TickReply]:
        replies = {key: self._policies[key].handle(batch) for key, batch in batches.items()}
        if self.meter is not None:
            for (rep, arm), reply in replies.items():
                self.meter.observe(arm, rep, self._policies[(rep, arm)], batches[(rep, arm)].closed, reply)
        return replies

    def close(self) -> None:
        self._policies = {}
