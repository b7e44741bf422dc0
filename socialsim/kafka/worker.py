"""`socialsim worker`: computes experiment points from every explore run on the broker.

Workers form one consumer group over every run's points topic (found by pattern), so points are
shared out and a dead worker's points pass to the living when the group rebalances. The order of
a point's life is what makes a SIGKILL at any moment harmless: read the task, compute it, publish
the result and wait for the broker's acknowledgement, and only then commit the task's offset. A
worker killed before the commit leaves the task to be redone (at least once); the explore side
keeps the first result per point. The computation runs in a thread, so the group's heartbeats go
on while it runs; what a point is computed with is injected (`compute`): this adapter knows
nothing of simulations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from socialsim.contracts.points import PointNote, PointTask
from socialsim.contracts.wire import dead_letter, encode, encode_bounded

from .broker import BrokerError
from .points import (
    POINTS_PATTERN,
    WORKING_EVERY_S,
    TaskRefused,
    dead_letters_topic,
    decode_task,
    digest,
    point_of,
    results_topic,
    run_of,
)
from .transport import MAX_REQUEST_BYTES

GROUP = "socialsim-workers"
# [ms] How often a worker looks for new runs' points topics (a new run waits this plus a rebalance).
METADATA_REFRESH_MS = 1000
# [ms] A member silent this long is dead, and its points go to the others: the embedded broker and
# Kafka's default minimum both accept 6 s.
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_MS = 1000
# [ms] The longest one point may take before the group counts its worker as stuck.
MAX_POINT_MS = 3_600_000
# [s] How long a worker waits before retrying a task the broker failed to take the answer of.
RETRY_S = 1.0
# [ms] How long a read for the next task waits (also the broker's fetch max wait).
POLL_MS = 200
# [s] How long a commit may be retried: aiokafka retries a commit to a deleted topic (a run that
# ended between the check and the commit) for ever, and the worker would serve nobody again.
COMMIT_TIMEOUT_S = 10.0

Compute = Callable[[PointTask], bytes]
Record: TypeAlias = "ConsumerRecord[Any, Any]"

log = logging.getLogger("socialsim.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _in_thread(fn: Compute, task: PointTask) -> bytes:
    """`fn(task)` in a daemon thread: a worker told to stop exits without waiting for the point
    (it was not committed, so another worker redoes it)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[bytes] = loop.create_future()

    def target() -> None:
        try:
            value = fn(task)
        except BaseException as exc:  # handed to the awaiting coroutine, which decides
            loop.call_soon_threadsafe(_settle, future, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, future, value, None)

    threading.Thread(target=target, name=f"point-{task.index}", daemon=True).start()
    return await future


def _settle(future: asyncio.Future[bytes], value: bytes | None, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value or b"")


class Worker:
    def __init__(
        self,
        bootstrap: str,
        compute: Compute,
        name: str | None = None,
        working_every_s: float = WORKING_EVERY_S,
    ):
        self.bootstrap, self.compute, self.name = bootstrap, compute, name or worker_name()
        self.working_every_s = working_every_s  # [s] between two "working" notes on one point

    async def serve(self) -> None:
        """Compute points until cancelled."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=GROUP,
            client_id=f"socialsim-worker-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=POLL_MS,
            metadata_max_age_ms=METADATA_REFRESH_MS,
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_MS,
            max_poll_interval_ms=MAX_POINT_MS,
        )
        try:
            await consumer.start()
        except KafkaError as exc:
            await consumer.stop()
            raise BrokerError(f"cannot reach a Kafka broker at {self.bootstrap}: {exc}") from None
        consumer.subscribe(pattern=POINTS_PATTERN)
        log.info("worker %s: waiting for points on %s", self.name, self.bootstrap)
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=POLL_MS, max_records=1)
                for tp, records in batches.items():
                    for rec in records:
                        await self._handle(consumer, tp, rec)
        finally:
            await consumer.stop()  # leaves the group: the others take this worker's points at once

    @contextlib.asynccontextmanager
    async def _producer(self) -> AsyncIterator[AIOKafkaProducer]:
        """A producer for one message only. A producer refreshes the metadata of every topic it has
        ever written to, and a broker that creates topics on demand (the embedded one does) would
        bring back the topics of runs that have ended and deleted them."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            linger_ms=0,
            max_request_size=MAX_REQUEST_BYTES,
            client_id=f"socialsim-worker-{self.name}",
        )
        await producer.start()
        try:
            yield producer
        finally:
            await producer.stop()

    async def _handle(self, consumer: AIOKafkaConsumer, tp: TopicPartition, rec: Record) -> None:
        try:
            await self._answer(consumer, tp, rec)
        except KafkaError as exc:  # the broker failed mid-point: the task stays uncommitted, to retry
            log.warning("worker %s: %s@%d: %s; retrying", self.name, tp.topic, rec.offset, exc)
            consumer.seek(tp, rec.offset)
            await asyncio.sleep(RETRY_S)
            return
        if tp.topic not in await consumer.topics():  # the run has ended: its offsets went with it
            return
        try:
            await asyncio.wait_for(consumer.commit({tp: rec.offset + 1}), COMMIT_TIMEOUT_S)
        except (CommitFailedError, IllegalStateError, TimeoutError) as exc:  # the partition moved or went
            log.warning(
                "worker %s: %s@%d not committed (%s); it may be redone", self.name, tp.topic, rec.offset, exc
            )

    async def _answer(self, consumer: AIOKafkaConsumer, tp: TopicPartition, rec: Record) -> None:
        """Compute the task and publish its note, or refuse what cannot be computed."""
        raw: bytes = rec.value or b""
        run = run_of(tp.topic)
        try:
            task = decode_task(raw)
            if task.run != run:
                raise TaskRefused(f"names run {task.run!r} but came on the points topic of {run!r}")
            note = await self._compute(consumer, tp.topic, task, digest(raw))
        except TaskRefused as exc:
            await self._refuse(consumer, tp, rec, str(exc))
        else:
            await self._publish(consumer, results_topic(run), tp.topic, encode(note), task.index)
            log.info("worker %s: point %d of %s %s", self.name, task.index, task.experiment, note.status)

    async def _refuse(self, consumer: AIOKafkaConsumer, tp: TopicPartition, rec: Record, reason: str) -> None:
        """Dead-letter a task; and if it names a point of the run whose topic it came on, fail that
        point too, so the run's `explore` stops at once with the reason instead of waiting for an
        answer that will never come. A task naming another run is answered on no run's results."""
        raw: bytes = rec.value or b""
        run = run_of(tp.topic)
        letter = dead_letter(tp.topic, tp.partition, rec.offset, reason, raw)
        await self._publish(consumer, dead_letters_topic(run), tp.topic, encode_bounded(letter))
        log.warning("worker %s: dead-lettered %s@%d: %s", self.name, tp.topic, rec.offset, reason)
        index = point_of(raw, run)
        if index is not None:
            failed = self._note(run, index, digest(raw), "failed", error=f"refused: {reason}".splitlines()[0])
            await self._publish(consumer, results_topic(run), tp.topic, encode(failed), index)

    def _note(self, run: str, index: int, task_sha256: str, status: Any, **more: Any) -> PointNote:
        return PointNote(
            run=run, index=index, task_sha256=task_sha256, worker=self.name, status=status, **more
        )

    async def _compute(
        self, consumer: AIOKafkaConsumer, points: str, task: PointTask, task_sha256: str
    ) -> PointNote:
        """Compute the task, saying "working" every `working_every_s` until the run has ended (its
        points topic `points` is gone); the note to publish."""
        working = asyncio.ensure_future(_in_thread(self.compute, task))
        saying = True
        while True:
            if saying:
                saying = await self._publish(
                    consumer,
                    results_topic(task.run),
                    points,
                    encode(self._note(task.run, task.index, task_sha256, "working")),
                    task.index,
                )
            done, _ = await asyncio.wait({working}, timeout=self.working_every_s)
            if done:
                break
        try:
            return self._note(task.run, task.index, task_sha256, "done", table=working.result())
        except TaskRefused:
            raise
        except Exception as exc:  # a bug or a broken point: the explore side fails with this line
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            return self._note(task.run, task.index, task_sha256, "failed", error=error)

    async def _publish(
        self, consumer: AIOKafkaConsumer, topic: str, points: str, value: bytes, index: int | None = None
    ) -> bool:
        """Publish and wait for the acknowledgement, unless the run has ended (its points topic is
        gone): a broker that creates topics on demand would bring the topic back, and nobody would
        read it. Whether it was published."""
        if points not in await consumer.topics():
            log.info("worker %s: %s has ended; message dropped", self.name, run_of(points))
            return False
        async with self._producer() as producer:
            await producer.send_and_wait(topic, value, key=None if index is None else _key(index))
        if points not in await consumer.topics():  # the run ended while this was on its way, and the
            await self._delete(topic)  # broker may have created `topic` again to take it
        return True

    async def _delete(self, topic: str) -> None:
        """Delete `topic` of an ended run, brought back by a message that was on its way."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, client_id=f"socialsim-worker-{self.name}"
        )
        try:
            await admin.start()
            await admin.delete_topics([topic])
        except KafkaError as exc:  # gone already, or the broker with it: nothing to clean up then
            log.info("worker %s: %s not deleted: %s", self.name, topic, exc)
        finally:
            await admin.close()


def _key(index: int) -> bytes:
    return str(index).encode()


def serve(bootstrap: str, compute: Compute, working_every_s: float = WORKING_EVERY_S) -> None:
    """Run a worker until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)  # every rebalance is logged at INFO

    async def main() -> None:
        serving = asyncio.ensure_future(Worker(bootstrap, compute, working_every_s=working_every_s).serve())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, serving.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serving

    asyncio.run(main())
