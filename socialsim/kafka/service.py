"""A long-lived strategy service: serves every run that names its strategy, as runs are announced.

    socialsim service --strategy NAME --bootstrap HOST:PORT [--run-id ID]

It reads the control topic (`CONTROL_TOPIC`). An announcement names one stream (a replication
of a run) with the resolved strategy of each of the run's arms; the service serves the arms whose
strategy is its own, from the generation the announcement names, and forgets the run when its end
is announced (or when its topics are already gone: a run killed before it could say so).

Scaling out: the instances of one strategy form a consumer group over the control topic, so each
announcement, keyed by run and replication, is read by exactly one instance, which then serves
that stream to its end; the others read the same run topics and ignore the stream. Offsets are
committed after each announcement batch is taken, and a rebalance waits for the batch in hand
(`_Handover`), so a stream is never taken by two instances. A stream stays where it started: an
instance that joins mid-run takes only streams announced after it joined (state is not handed
over; a stream whose instance dies fails its run with the simulator's tick timeout).

With `--run-id`, the service serves that run only, alone (no group, every control partition):
what `compare --transport kafka` starts when it starts its own services. A conflict in a run's
input then stops the process (the run sees it at once); a long-lived service drops that run only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from faststream import FastStream
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from services.host import HostObserver, StrategyService
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import RunAnnouncement, RunEnded, decode_control

from .app import ServedArm, plain_logger, refuse, service_broker
from .topics import CONTROL_TOPIC, topics

# [ms] How long a control read waits for announcements, also the broker's fetch max wait: they
# are rare, and a run waits for its first reply anyway; the data topics use FETCH_MAX_WAIT_MS.
CONTROL_POLL_MS = 200


def group_id(strategy: str) -> str:
    return f"socialsim-{strategy}"


class Runs:
    """The runs this instance serves, by run id: one `ServedArm` per arm of its strategy."""

    def __init__(
        self,
        broker: KafkaBroker,
        strategy: str,
        log: logging.Logger,
        *,
        only_run: str | None = None,
        meter: HostObserver | None = None,
    ):
        self.broker, self.strategy, self.log = broker, strategy, log
        self.only_run, self.meter = only_run, meter
        self.served: dict[str, list[ServedArm]] = {}
        self.owned: dict[str, set[int]] = {}
        self.ended: set[str] = set()

    async def take(self, ann: RunAnnouncement, existing: set[str]) -> None:
        """Serve the stream `ann` announces, if it is one of this service's runs and still running."""
        if ann.run in self.ended or (self.only_run is not None and ann.run != self.only_run):
            return
        mine = [a for a in ann.arms if a.strategy.get("name") == self.strategy]
        if not mine:
            return
        if topics(ann.run, mine[0].arm, ann.generation)[0] not in existing:
            self.log.info("run %s replication %d: its topics are gone", ann.run, ann.replication)
            return
        owned = self.owned.setdefault(ann.run, set())
        owned.add(ann.replication)
        names = ", ".join(a.arm for a in mine)
        self.log.info("serving run %s replication %d (arms %s)", ann.run, ann.replication, names)
        if ann.run in self.served:
            # its tick 0 may have been read, and ignored as not yet ours, before this announcement:
            # read the generation again from its start (what was answered is ignored as a repeat)
            for served in self.served[ann.run]:
                await served.stop()
                await served.start()
            return
        arms = []
        for a in mine:
            try:
                strategy = Strategy.model_validate(a.strategy)
            except ValidationError as exc:
                self.log.error("run %s, arm %s: not a valid strategy: %s", ann.run, a.arm, exc)
                continue
            owns = (lambda rep: True) if self.only_run else owned.__contains__
            host = StrategyService(strategy, a.arm, ann.run, self.meter, owns=owns)
            arms.append(ServedArm(self.broker, host, ann.partitions, ann.generation, self.refuse))
        self.served[ann.run] = arms
        for served in arms:
            await served.start()

    async def end(self, run: str) -> None:
        self.ended.add(run)
        self.owned.pop(run, None)
        for served in self.served.pop(run, []):
            await served.stop()
            self.log.info("run %s, arm %s: ended", run, served.arm)

    def refuse(self, run: str, cause: Exception) -> None:
        """A long-lived service drops the run whose input conflicts; the others go on."""
        if self.only_run is not None:
            refuse(run, cause)
        self.log.error("dropping run %s: %s", run, cause)
        asyncio.get_running_loop().create_task(self.end(run))


class _Handover(ConsumerRebalanceListener):  # type: ignore[misc]
    """A rebalance waits until the announcements in hand are taken, then commits them: a commit
    in the middle of a rebalance fails, and the next owner must not take them again."""

    def __init__(self, reader: ControlReader) -> None:
        self.reader = reader

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self.reader.lock:
            await self.reader.commit()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.reader.runs.log.info("control partitions assigned: %s", sorted(tp.partition for tp in assigned))


class ControlReader:
    """Reads the control topic and hands announcements and ends to `Runs`."""

    def __init__(self, bootstrap: str, runs: Runs, *, grouped: bool) -> None:
        self.bootstrap, self.runs, self.grouped = bootstrap, runs, grouped
        self.lock = asyncio.Lock()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def consumer(self) -> AIOKafkaConsumer:
        assert self._consumer is not None, "start() makes the consumer"
        return self._consumer

    async def start(self) -> None:
        """Made here: aiokafka clients belong to the running event loop."""
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=group_id(self.runs.strategy) if self.grouped else None,
            client_id=f"socialsim-{self.runs.strategy}-control",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=CONTROL_POLL_MS,
        )
        await self.consumer.start()
        self.consumer.subscribe([CONTROL_TOPIC], listener=_Handover(self))
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._consumer is not None:
            await self._consumer.stop()

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=CONTROL_POLL_MS)
            if not batches:
                continue
            async with self.lock:
                await self._take([r.value or b"" for recs in batches.values() for r in recs])
                await self.commit()

    async def commit(self) -> None:
        """Commit what was taken; during a rebalance this fails, and the revocation commits it."""
        if not self.grouped:
            return
        try:
            await self.consumer.commit()
        except KafkaError as exc:
            self.runs.log.warning("control offsets not committed yet: %s", exc)

    async def _take(self, values: list[bytes]) -> None:
        messages = []
        for raw in values:
            try:
                messages.append(decode_control(raw))
            except msgspec.DecodeError as exc:
                self.runs.log.warning("ignored a control message that is not one: %s", exc)
        ended = {m.run for m in messages if isinstance(m, RunEnded)}
        announced = [m for m in messages if isinstance(m, RunAnnouncement) and m.run not in ended]
        existing = await self.consumer.topics() if announced else set()
        for ann in announced:
            await self.runs.take(ann, existing)
        for run in ended:
            await self.runs.end(run)


def create_service(
    strategy: str,
    bootstrap: str,
    *,
    only_run: str | None = None,
    middlewares: Sequence[Any] = (),
    meter: HostObserver | None = None,
) -> FastStream:
    """The app of one strategy's service; its control reader starts and stops with it."""
    log = plain_logger(strategy)
    broker = service_broker(bootstrap, f"socialsim-{strategy}", log, middlewares)
    runs = Runs(broker, strategy, log, only_run=only_run, meter=meter)
    reader = ControlReader(bootstrap, runs, grouped=only_run is None)
    app = FastStream(broker, logger=log)
    app.after_startup(reader.start)
    app.on_shutdown(reader.stop)
    return app
