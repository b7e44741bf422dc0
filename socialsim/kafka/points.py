"""Experiment points over Kafka: the messages, the topics, and the side that hands points out.

An explore run owns three topics, named after its run id: `<run>.points` (what to compute, one
`PointTask` per point, in partition `index % POINT_PARTITIONS`), `<run>.results` (what workers
say, `PointNote`s keyed by point) and `<run>.dead-letter`. Workers find `.points` topics by
pattern in one consumer group, so every point goes to exactly one living worker, and a dead
worker's uncommitted points go to another when the group rebalances. A worker commits a point's
offset only after its result is acknowledged, so a point is computed at least once; the
collecting side keeps the first valid result per point and ignores repeats (computing a point is
a pure function of its task, so a repeat is the same table). Every result names the sha256 of
the task it answers: a result of a task this run did not publish (a forged point, say) is
dead-lettered, never used. A task a worker refuses (one from other code, say) is dead-lettered
and, if it names the run whose topic it came on, fails its point, so the run stops at once. What
this cannot stop: a forger who reads the points topic and publishes a well-formed false result
before the genuine one. Topic ACLs are what prevent that.

The explore side uses kafka-python's synchronous clients (it is a generator in a synchronous
sweep); workers use aiokafka (`worker.py`), whose group membership keeps heartbeating while a
point is being computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from socialsim.contracts.points import PointNote, PointTask
from socialsim.contracts.wire import dead_letter, encode_bounded, oversized

from .broker import BrokerError, reachable
from .topics import TopicAdmin
from .transport import MAX_REQUEST_BYTES

# The prefix of every explore run's topics; workers subscribe to `POINTS_PATTERN`.
PREFIX = "socialsim.explore"
POINTS_PATTERN = r"^socialsim\.explore\..+\.points$"
# [partitions] of a points topic: the most workers one run can keep busy (a group gives each
# partition to one member), and points spread evenly over them by index.
POINT_PARTITIONS = 12
# [s] How long the collecting side waits without hearing any worker (a worker says "working"
# every WORKING_EVERY_S while it computes) before it gives up: covers a group join (~5 s on the
# embedded broker), a pattern's discovery of the new topic and a dead member's session timeout.
SILENCE_TIMEOUT_S = 60.0
# [s] How often a worker says it is still computing a point.
WORKING_EVERY_S = 5.0
# [ms] How long a results read waits on the broker (Tansu answers only when the wait expires).
POLL_MS = 100
# [s] How long publishing the tasks and cleaning up may take before the broker counts as lost.
SEND_TIMEOUT_S = 30.0
# [s] How long a connection may take before a silent broker counts as lost rather than workerless.
PROBE_TIMEOUT_S = 2.0


def points_topic(run: str) -> str:
    return f"{PREFIX}.{run}.points"


def results_topic(run: str) -> str:
    return f"{PREFIX}.{run}.results"


def dead_letters_topic(run: str) -> str:
    return f"{PREFIX}.{run}.dead-letter"


def run_of(topic: str) -> str:
    """The run a points topic belongs to (its name between the prefix and the suffix)."""
    return topic.removeprefix(f"{PREFIX}.").rsplit(".", 1)[0]


class TaskRefused(ValueError):
    """A task a worker will not compute (malformed, or a scenario that does not validate)."""


_task = msgspec.json.Decoder(PointTask)
_note = msgspec.json.Decoder(PointNote)


def decode_task(raw: bytes) -> PointTask:
    """The task in `raw`, or TaskRefused saying why not."""
    too_big = oversized(raw)
    if too_big:
        raise TaskRefused(too_big)
    try:
        return _task.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise TaskRefused(f"not a point task: {exc}") from None


class _PointOf(msgspec.Struct):
    """The two fields a refusal needs to fail the point, read from a task that may not decode whole
    (one from a newer version, say)."""

    run: str
    index: int


_point_of = msgspec.json.Decoder(_PointOf)


def point_of(raw: bytes, run: str) -> int | None:
    """The index of the point the task `raw` asks for if it names `run`, else None."""
    if oversized(raw):
        return None
    try:
        ref = _point_of.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return ref.index if ref.run == run else None


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class WorkersSilent(BrokerError):
    """No worker said anything for the silence timeout."""


class PointFailed(RuntimeError):
    def __init__(self, index: int, line: str):
        super().__init__(index, line)
        self.index, self.line = index, line


class PointExchange:
    """The explore side: publish a run's tasks, yield each point's first valid result, dead-letter
    the rest, and delete the run's topics however it ends."""

    def __init__(self, bootstrap: str, run: str, silence_timeout_s: float = SILENCE_TIMEOUT_S):
        self.bootstrap, self.run, self.silence_timeout_s = bootstrap, run, silence_timeout_s
        self.dead_letters: list[str] = []  # the reasons, in the order they were published
        self.duplicates = 0

    def results(
        self, tasks: dict[int, bytes], accept: Callable[[int, bytes], str | None]
    ) -> Iterator[tuple[int, bytes]]:
        """(index, table) for every task, as results arrive. `accept(index, table)` says why a
        result is unusable, or None."""
        names = [points_topic(self.run), results_topic(self.run), dead_letters_topic(self.run)]
        admin = TopicAdmin(self.bootstrap)
        try:
            admin.create(names, POINT_PARTITIONS)
            with _clients(self.bootstrap) as (producer, consumer):
                consumer.assign([TopicPartition(names[1], p) for p in range(POINT_PARTITIONS)])
                for index, raw in tasks.items():
                    producer.send(names[0], raw, key=str(index).encode(), partition=index % POINT_PARTITIONS)
                producer.flush(SEND_TIMEOUT_S)
                yield from self._collect(producer, consumer, tasks, accept)
        except KafkaError as exc:
            raise BrokerError(f"Kafka broker at {self.bootstrap}: {exc}") from None
        finally:
            with contextlib.suppress(KafkaError):  # a lost broker holds nothing to delete any more
                admin.delete(names)
            admin.close()

    def _collect(
        self,
        producer: KafkaProducer,
        consumer: KafkaConsumer,
        tasks: dict[int, bytes],
        accept: Callable[[int, bytes], str | None],
    ) -> Iterator[tuple[int, bytes]]:
        digests = {i: digest(raw) for i, raw in tasks.items()}
        done: set[int] = set()
        heard = time.monotonic()
        while len(done) < len(tasks):
            if time.monotonic() - heard > self.silence_timeout_s:
                if not reachable(self.bootstrap, PROBE_TIMEOUT_S):
                    raise BrokerError(
                        f"lost the Kafka broker at {self.bootstrap} (it no longer accepts connections)"
                    )
                raise WorkersSilent(
                    f"no worker answered for {self.silence_timeout_s:g} s on {points_topic(self.run)} at "
                    f"{self.bootstrap} ({len(done)} of {len(tasks)} points done); start one with "
                    f"`socialsim worker --bootstrap {self.bootstrap}`"
                )
            for records in consumer.poll(timeout_ms=POLL_MS).values():
                for rec in records:
                    note, reason = self._read(rec.value, digests)
                    if reason is not None or note is None:
                        self._dead_letter(producer, rec, reason or "unreadable")
                        continue
                    heard = time.monotonic()
                    if note.status == "failed":
                        raise PointFailed(note.index, f"worker {note.worker}: {note.error}")
                    if note.status != "done":
                        continue
                    if note.index in done:
                        self.duplicates += 1
                        continue
                    refused = accept(note.index, note.table)
                    if refused is not None:
                        self._dead_letter(producer, rec, refused)
                        continue
                    done.add(note.index)
                    yield note.index, note.table

    def _read(self, raw: bytes | None, digests: dict[int, str]) -> tuple[PointNote | None, str | None]:
        """The note in `raw` if it answers a task of this run, else why not."""
        value = raw or b""
        too_big = oversized(value)
        if too_big:
            return None, too_big
        try:
            note = _note.decode(value)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return None, f"not a point note: {exc}"
        if note.run != self.run:
            return None, f"names run {note.run!r}, not this run {self.run!r}"
        if note.index not in digests:
            return None, f"point {note.index} is not a point of this run"
        if note.task_sha256 != digests[note.index]:
            return None, f"answers a task this run did not publish for point {note.index} (sha256 differs)"
        return note, None

    def _dead_letter(self, producer: KafkaProducer, rec: Any, reason: str) -> None:
        self.dead_letters.append(reason)
        letter = dead_letter(rec.topic, rec.partition, rec.offset, reason, rec.value)
        producer.send(dead_letters_topic(self.run), encode_bounded(letter))


@contextmanager
def _clients(bootstrap: str) -> Iterator[tuple[KafkaProducer, KafkaConsumer]]:
    """A producer and an unassigned consumer, closed together."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        linger_ms=0,
        max_request_size=MAX_REQUEST_BYTES,
        client_id="socialsim-explore",
    )
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=POLL_MS,
        client_id="socialsim-explore",
    )
    try:
        yield producer, consumer
    finally:
        consumer.close()
        producer.close(timeout=SEND_TIMEOUT_S)
