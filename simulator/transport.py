"""The seam between the simulated world and the strategies (docs/architecture.md, "The lockstep").

Per tick the world hands every (replication, arm) its `TickBatch` and gets back one `TickReply`
for each. The in-process transport calls the policies directly; the Kafka transport
(`socialsim.kafka.transport`) publishes the same events and waits for the same replies.

The exchange is split so the world and a networked strategy can work at the same time: the world
`send`s each replication's tick (every arm of it) as soon as that replication has closed it, so
a transport may start its strategies on replication 0 while the world closes replication 1 (the
Kafka transport measured that dearer than publishing the tick whole, and does that, see its
module doc), and the world applies each replication's `replies` as soon as they are complete,
in whatever order they complete. Every
replication stays on the same tick (the world sends the next tick only once every reply to this
one is applied), so day ends, checkpoints and measurement see one tick boundary for all. Each
world's numbers depend only on its own replies, never on the order replications complete in.

A transport that can also save and restore the strategies' state between two ticks is
`Resumable`: that is what a resumed run (`compare --resume`) needs of it. The in-process transport
pickles its policies, between any two ticks; the Kafka transport (`socialsim.kafka.resume`)
returns the snapshots its services stored at the end of a simulated day, so it can be saved only
there, and hands them to the services of the run that goes on.

The world never imports a strategy: the in-process transport is handed a factory that makes
one policy per (replication, arm), and the composition root (`socialsim.bootstrap`) chooses it.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar, runtime_checkable

from socialsim.contracts.events import TickBatch, TickClosed, TickReply
from socialsim.contracts.strategy import Strategy

Key = tuple[int, str]  # (replication, arm)


class TransportError(RuntimeError):
    """The transport could not deliver a tick (broker unreachable, a service gone, a timeout)."""


class Transport(Protocol):
    name: str

    def open(self, arms: dict[str, Strategy], replications: list[int]) -> None:
        """Prepare fresh strategy state for every arm of these replications."""

    def send(self, batches: dict[Key, TickBatch]) -> None:
        """Deliver one replication's tick, every arm of it; may return before it is answered."""

    def replies(self) -> Iterator[dict[Key, TickReply]]:
        """Every arm's reply of one replication at a time, in the order they complete, until every
        replication sent since the last call is answered."""

    def close(self) -> None:
        """Release what `open` acquired."""


@runtime_checkable
class Resumable(Protocol):
    """A transport whose strategies' state can be taken between two ticks and given back later."""

    # True: `snapshot()` works between any two ticks; False: only right after a day's last tick
    snapshots_mid_day: bool

    def snapshot(self) -> bytes:
        """The state of every (replication, arm) strategy opened, between two ticks."""

    def restore(self, state: bytes) -> None:
        """After `open` for the same arms and replications: carry on from `snapshot()`'s state."""


class TickHandler(Protocol):
    """What the world needs of a strategy: one reply per tick, from the tick alone and its own state."""

    def handle(self, batch: TickBatch) -> TickReply: ...


P = TypeVar("P", bound=TickHandler)


class InProcessTransport(Generic[P]):
    """Calls each arm's policy in this process: the fast path for sweeps, and the parity baseline."""

    name = "inproc"
    snapshots_mid_day = True

    def __init__(
        self,
        policy: Callable[[Strategy, str], P],
        observe: Callable[[str, int, P, TickClosed, TickReply], None] | None = None,
    ) -> None:
        """`policy(strategy, arm)` makes a fresh policy; `observe`, if given, sees every policy
        after each tick it handled (measurement only)."""
        self._make = policy
        self._observe = observe
        self._policies: dict[Key, P] = {}
        self._answered: list[dict[Key, TickReply]] = []  # sent, not yet taken by `replies`

    def open(self, arms: dict[str, Strategy], replications: list[int]) -> None:
        self._policies = {
            (rep, arm): self._make(strategy, arm) for rep in replications for arm, strategy in arms.items()
        }

    def send(self, batches: dict[Key, TickBatch]) -> None:
        """Answers at once: there is nothing to overlap with in one process."""
        replies = {key: self._policies[key].handle(batch) for key, batch in batches.items()}
        if self._observe is not None:
            for (rep, arm), reply in replies.items():
                self._observe(arm, rep, self._policies[(rep, arm)], batches[(rep, arm)].closed, reply)
        self._answered.append(replies)

    def replies(self) -> Iterator[dict[Key, TickReply]]:
        answered, self._answered = self._answered, []
        yield from answered

    def snapshot(self) -> bytes:
        """Pickled policies (see `simulator.checkpoint` for why pickle)."""
        return pickle.dumps(self._policies, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, state: bytes) -> None:
        policies: dict[Key, P] = pickle.loads(state)  # noqa: S301 - our own checkpoint, identity checked first
        if policies.keys() != self._policies.keys():
            raise ValueError(
                f"snapshot holds strategies for {sorted(policies)}, this run opened {sorted(self._policies)}"
            )
        self._policies = policies

    def close(self) -> None:
        self._policies, self._answered = {}, []
