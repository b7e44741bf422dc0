"""A long-lived strategy service: serves every run that names its strategy, as runs are announced.

    socialsim service --strategy NAME --bootstrap HOST:PORT [--run-id ID]

It reads the control topic (`CONTROL_TOPIC`). An announcement names one stream (a replication
of a run) with the resolved strategy of each of the run's arms; the service serves the arms whose
strategy is its own, from the generation the announcement names, and forgets the run when its end
is announced (or when its topics are already gone: a run killed before it could say so).

Scaling out: the instances of one strategy form a consumer group over the control topic, so each
announcement, keyed by run and replication, is read by exactly one instance, which serves that
stream; the others read the same run topics and ignore the stream. Offsets are committed after
each announcement batch is taken, and a rebalance waits for the batch in hand (`_Handover`).
Streams follow their control partitions, as a Kafka Streams task follows its input partition: an
instance that loses a partition (to a newcomer) drops its streams, and one that gains a partition
(from a newcomer's rebalance, or a dead instance's after its session timeout) reads it from its
start and takes over the streams still in flight.

Taking a stream over (or any stream a fresh process is told of, e.g. a replacement `compare`
started) means: restore its latest snapshot (`socialsim.kafka.snapshots`; none: from tick 0),
then read the conversations that followed again, generation by generation, and answer them
(`_recover`); replies the simulator already has are repeats it ignores. The live subscribers
start only after that, so a stream is never advanced by two readers at once.

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
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from faststream import FastStream
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from services.host import HostObserver, Record, StrategyService
from services.snapshot import SnapshotMismatch
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import AnnouncedArm, RunAnnouncement, RunEnded, decode_control

from .app import ServedArm, plain_logger, refuse, service_broker
from .snapshots import latest, read_all, read_snapshots
from .topics import CONTROL_TOPIC, stream_partition, topics

# [ms] How long a control read waits for announcements, also the broker's fetch max wait: they
# are rare, and a run waits for its first reply anyway; the data topics use FETCH_MAX_WAIT_MS.
CONTROL_POLL_MS = 200
# [ms] How long the group waits for a silent instance before its streams go to the others: the
# shortest session Kafka brokers accept by default (group.min.session.timeout.ms).
GROUP_SESSION_MS = 6000


def group_id(strategy: str) -> str:
    return f"socialsim-{strategy}"


class Runs:
    """The runs this instance serves, by run id: one `ServedArm` per arm of its strategy."""

    def __init__(
        self,
        broker: KafkaBroker,
        bootstrap: str,
        strategy: str,
        log: logging.Logger,
        *,
        only_run: str | None = None,
        meter: HostObserver | None = None,
    ):
        self.broker, self.bootstrap, self.strategy, self.log = broker, bootstrap, strategy, log
        self.only_run, self.meter = only_run, meter
        self.served: dict[str, list[ServedArm]] = {}
        self.owned: dict[str, set[int]] = {}
        self.ended: set[str] = set()
        self.stream_partition: dict[tuple[str, int], int] = {}  # (run, replication) -> control partition
        self._ending: set[asyncio.Task[None]] = set()  # runs being dropped (the loop holds tasks weakly)

    def _wanted(self, ann: RunAnnouncement, existing: set[str]) -> list[AnnouncedArm]:
        """The arms of `ann` this service serves, if it is one of its runs and still running."""
        if ann.run in self.ended or (self.only_run is not None and ann.run != self.only_run):
            return []
        mine = [a for a in ann.arms if a.strategy.get("name") == self.strategy]
        if mine and topics(ann.run, mine[0].arm, ann.generation)[0] not in existing:
            self.log.info("run %s replication %d: its topics are gone", ann.run, ann.replication)
            return []
        return mine

    async def take(self, announced: list[tuple[int, RunAnnouncement]], existing: set[str]) -> None:
        """Serve the streams announced (each with its control partition), run by run."""
        by_run: dict[str, list[tuple[int, RunAnnouncement]]] = {}
        for part, ann in announced:
            if self._wanted(ann, existing):
                by_run.setdefault(ann.run, []).append((part, ann))
        for run, anns in by_run.items():
            await self._take_run(run, anns, existing)

    async def _take_run(self, run: str, anns: list[tuple[int, RunAnnouncement]], existing: set[str]) -> None:
        owned = self.owned.setdefault(run, set())
        fresh = [ann for _, ann in anns if ann.replication not in owned]
        for part, ann in anns:
            self.stream_partition[(run, ann.replication)] = part
            owned.add(ann.replication)
        first = anns[0][1]
        names = ", ".join(a.arm for a in self._wanted(first, existing))
        for _, ann in anns:
            self.log.info("serving run %s replication %d (arms %s)", run, ann.replication, names)
        arms = self.served.get(run)
        if arms is None:
            arms = self.served[run] = self._arms(first, min(a.generation for a in fresh))
        else:
            # its tick 0 may have been read, and ignored as not yet ours, before this announcement:
            # read the generation again from its start (what was answered is ignored as a repeat)
            for served in arms:
                await served.stop()
        if fresh:
            await self._recover(run, fresh, arms, existing)
        for served in arms:
            await served.start()

    def _arms(self, ann: RunAnnouncement, generation: int) -> list[ServedArm]:
        owned = self.owned[ann.run]
        arms = []
        for a in ann.arms:
            if a.strategy.get("name") != self.strategy:
                continue
            try:
                strategy = Strategy.model_validate(a.strategy)
            except ValidationError as exc:
                self.log.error("run %s, arm %s: not a valid strategy: %s", ann.run, a.arm, exc)
                continue
            owns = (lambda rep: True) if self.only_run else owned.__contains__
            host = StrategyService(strategy, a.arm, ann.run, self.meter, owns=owns)
            arms.append(ServedArm(self.broker, host, ann.partitions, generation, self.refuse))
        return arms

    async def _recover(
        self, run: str, fresh: list[RunAnnouncement], arms: list[ServedArm], existing: set[str]
    ) -> None:
        """Give each stream its latest snapshot's state (none: it starts at tick 0) and answer again
        what followed it, so a stream under way continues exactly where its dead instance was."""
        partitions = fresh[0].partitions
        resumed = {  # a resumed run names the day each stream restores: read until that day is there
            (ann.replication, served.arm): ann.restore_day
            for ann in fresh
            if ann.restore_day is not None
            for served in arms
        }
        snaps = await read_snapshots(
            self.bootstrap, run, {stream_partition(a.replication, partitions) for a in fresh}, resumed
        )
        for served in arms:
            starts: dict[int, tuple[int, int]] = {}  # replication -> (generation, offset) to replay from
            for ann in fresh:
                snap = latest(snaps, ann.replication, served.arm, ann.restore_day)
                if snap is None and ann.restore_day is not None:
                    day, rep = ann.restore_day, ann.replication
                    self.refuse(
                        run,
                        RuntimeError(
                            f"cannot resume replication {rep}, arm {served.arm}: no snapshot of day {day}"
                        ),
                    )
                    return
                try:
                    served.service.restore(ann.replication, snap.state if snap else None)
                except (msgspec.DecodeError, SnapshotMismatch) as exc:
                    self.refuse(run, RuntimeError(f"arm {served.arm}: snapshot not usable: {exc}"))
                    return
                if snap is not None:
                    starts[ann.replication] = (snap.generation, snap.next_offset)
                elif ann.generation < served.current:
                    starts[ann.replication] = (ann.generation, 0)
            if starts:
                where = ", ".join(
                    f"{rep} from generation {g} offset {o}" for rep, (g, o) in sorted(starts.items())
                )
                self.log.info("run %s, arm %s: restoring replication(s) %s", run, served.arm, where)
                served.current = max(served.current, await self._replay(served, starts, existing))

    async def _replay(self, served: ServedArm, starts: dict[int, tuple[int, int]], existing: set[str]) -> int:
        """Read the conversations after each start again, generation by generation, and answer them;
        returns the last generation that held any."""
        reached = generation = min(g for g, _ in starts.values())
        newest = max(g for g, _ in starts.values())
        while topics(served.run, served.arm, generation)[0] in existing:
            topic = topics(served.run, served.arm, generation)[0]
            offsets: dict[TopicPartition, int] = {}
            for rep, (g, offset) in starts.items():
                if g <= generation:
                    tp = TopicPartition(topic, stream_partition(rep, served.partitions))
                    start = offset if g == generation else 0
                    offsets[tp] = min(offsets.get(tp, start), start)
            records = await read_all(self.bootstrap, list(offsets), offsets)
            if not records and generation > newest:
                break
            if records:
                reached = generation
            await served.replay([Record(r.topic, r.partition, r.offset, r.value) for r in records])
            generation += 1
        return reached

    def release(self, lost: set[int]) -> None:
        """Control partitions given to another instance: their streams go with them (it restores
        them from their snapshots)."""
        for (run, rep), part in list(self.stream_partition.items()):
            if part in lost:
                del self.stream_partition[(run, rep)]
                self.owned.get(run, set()).discard(rep)
                for served in self.served.get(run, []):
                    served.service.drop(rep)
                self.log.info("run %s replication %d: handed over", run, rep)

    async def end(self, run: str) -> None:
        self.ended.add(run)
        self.owned.pop(run, None)
        for stream in [k for k in self.stream_partition if k[0] == run]:
            del self.stream_partition[stream]
        for served in self.served.pop(run, []):
            await served.stop()
            self.log.info("run %s, arm %s: ended", run, served.arm)

    def refuse(self, run: str, cause: Exception) -> None:
        """A long-lived service drops the run whose input conflicts; the others go on."""
        if self.only_run is not None:
            refuse(run, cause)
        self.log.error("dropping run %s: %s", run, cause)
        task = asyncio.get_running_loop().create_task(self.end(run))
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)


class _Handover(ConsumerRebalanceListener):  # type: ignore[misc]
    """A rebalance waits until the announcements in hand are taken, then commits them: a commit
    in the middle of a rebalance fails, and the next owner must not take them again."""

    def __init__(self, reader: ControlReader) -> None:
        self.reader = reader

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self.reader.lock:
            await self.reader.commit()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        """Streams follow their control partitions: a lost partition's streams are dropped, a
        gained one is read from its start, so the streams in flight there are taken over."""
        reader = self.reader
        now = {tp.partition for tp in assigned}
        lost, gained = reader.held - now, now - reader.held
        reader.held = now
        reader.runs.log.info("control partitions assigned: %s", sorted(now))
        if lost:
            reader.runs.release(lost)
        if gained and reader.grouped:
            await reader.consumer.seek_to_beginning(*[tp for tp in assigned if tp.partition in gained])


class ControlReader:
    """Reads the control topic and hands announcements and ends to `Runs`."""

    def __init__(self, bootstrap: str, runs: Runs, *, grouped: bool) -> None:
        self.bootstrap, self.runs, self.grouped = bootstrap, runs, grouped
        self.lock = asyncio.Lock()
        self.held: set[int] = set()  # control partitions assigned to this instance
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
            session_timeout_ms=GROUP_SESSION_MS,
            heartbeat_interval_ms=GROUP_SESSION_MS // 3,
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
                await self._take([(r.partition, r.value or b"") for recs in batches.values() for r in recs])
                await self.commit()

    async def commit(self) -> None:
        """Commit what was taken; during a rebalance this fails, and the revocation commits it."""
        if not self.grouped:
            return
        try:
            await self.consumer.commit()
        except KafkaError as exc:
            self.runs.log.warning("control offsets not committed yet: %s", exc)

    async def _take(self, values: list[tuple[int, bytes]]) -> None:
        messages = []
        for part, raw in values:
            try:
                messages.append((part, decode_control(raw)))
            except msgspec.DecodeError as exc:
                self.runs.log.warning("ignored a control message that is not one: %s", exc)
        ended = {m.run for _, m in messages if isinstance(m, RunEnded)}
        announced = [(p, m) for p, m in messages if isinstance(m, RunAnnouncement) and m.run not in ended]
        existing = await self.consumer.topics() if announced else set()
        await self.runs.take(announced, existing)
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
    runs = Runs(broker, bootstrap, strategy, log, only_run=only_run, meter=meter)
    reader = ControlReader(bootstrap, runs, grouped=only_run is None)
    app = FastStream(broker, logger=log)
    app.after_startup(reader.start)
    app.on_shutdown(reader.stop)
    return app
