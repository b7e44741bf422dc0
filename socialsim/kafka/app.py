"""The FastStream side of a strategy service: its broker, and one run's arm served over the topics.

`ServedArm` consumes one arm's conversations topics of one run in batches, lets
`StrategyService` decide, publishes responses keyed by customer id (markers keyed "marker") to
the responses topic of the same generation, in the replication's partition, and dead letters to
the run's dead-letter topic, then waits for the broker to confirm the whole tick. A tick's
responses go out in as few record batches per partition as fit (`reply_batches`), in the order
decided, so a tick-done marker follows its tick's responses. Publishing them one by one took
~65 µs of CPU per record, a batch ~15 (FastStream's per-message path builds a command, runs the
middlewares and sends, per record; measured with 30-record ticks on the embedded broker). At the end of a
simulated day it first stores each stream's snapshot (`socialsim.kafka.snapshots`) and waits for
its acknowledgement, so a day whose replies the simulator has is a day a replacement can restore.
The long-lived service (`socialsim.kafka.service`) adds one per announced run and arm; `create_app` is an app
that serves one known run and arm (the contract documents are generated from it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from faststream import FastStream
from faststream.kafka import KafkaBroker, KafkaResponse, TopicPartition

from services.host import EventConflict, HostObserver, Record, Snapshot, StrategyService
from socialsim.contracts.snapshots import StreamSnapshot, encode_snapshot
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import MAX_EVENT_BYTES, OversizedEvent, encode, encode_bounded

from .snapshots import snapshot_key, snapshot_topic
from .topics import dead_letter_topic, generation_of, key, stream_partition, topics
from .transport import FETCH_MAX_WAIT_MS, MAX_REQUEST_BYTES

# [ms] How long a subscriber's poll waits for records before it loops: records end the wait at
# once, so this costs no latency; a short one only spins the event loop (5 ms cost each idle
# subscriber ~5% of a core here).
BATCH_WAIT_MS = 200
# [ms] The fetch max wait of the next generation's subscriber, which idles until its first tick:
# that tick may wait this long more, once per generation (`TICKS_PER_TOPIC` ticks), while a
# subscriber polling every FETCH_MAX_WAIT_MS cost ~5% of a core idle.
NEXT_GENERATION_WAIT_MS = 100
# [bytes] A producer's record batch (aiokafka's max_batch_size): a tick's responses to one
# partition go out in as few batches of this size as they fit.
MAX_BATCH_BYTES = 1 << 20
# [bytes] What a batch holds besides its records (Kafka's record batch header is 61 bytes).
BATCH_HEADER_BYTES = 64
# [bytes] A bound of what a record adds to a batch besides its key and value: its varint lengths
# and deltas (at most 41) and the correlation-id header FastStream gives every record (53), so an
# estimated batch never overflows the producer's (which would refuse the whole publish).
RECORD_OVERHEAD_BYTES = 128
# The exit code of a service that stopped because its input contradicts itself (see `refuse`).
EXIT_REFUSED = 3

Refusal = Callable[[str, Exception], None]  # refusal(run, cause): what to do when a run's input conflicts


def plain_logger(name: str) -> logging.Logger:
    """The service's logger, writing plain lines to stderr.

    FastStream's own handlers colour every line, terminal or not; a service's stderr is a log file
    whose last error line the run quotes when the service dies, so it must be plain text."""
    logger = logging.getLogger(f"socialsim.service.{name}")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s - %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


async def _records(message: Any) -> list[Record]:
    """Decoder: hand the handler the raw records (value bytes plus where they came from)."""
    return [Record(r.topic, r.partition, r.offset, r.value) for r in message.raw_message]


def service_broker(
    bootstrap: str, client_id: str, logger: logging.Logger, middlewares: Sequence[Any] = ()
) -> KafkaBroker:
    """`middlewares` wrap every message (the composition root passes FastStream's Prometheus one).
    One log line per consumed batch would be thousands per run: warnings and errors only."""
    return KafkaBroker(
        bootstrap,
        client_id=client_id,
        linger_ms=0,
        max_batch_size=MAX_BATCH_BYTES,
        max_request_size=MAX_REQUEST_BYTES,
        log_level=logging.DEBUG,
        logger=logger,
        middlewares=tuple(middlewares),
    )


def create_app(
    strategy: Strategy,
    arm: str,
    bootstrap: str,
    run: str,
    partitions: int,
    middlewares: Sequence[Any] = (),
    meter: HostObserver | None = None,
) -> tuple[FastStream, KafkaBroker]:
    """An app serving one run's arm from its first generation; a conflict stops the process."""
    logger = plain_logger(arm)
    broker = service_broker(bootstrap, f"socialsim-{arm}", logger, middlewares)
    service = StrategyService(strategy, arm, run, meter)
    served = ServedArm(broker, service, partitions, 0, refuse, persistent=True)
    served.subscribers[0] = served.subscribe(0)
    # one ahead, so the first tick of the next generation is read without a new subscriber's start
    served.subscribers[1] = served.subscribe(1, NEXT_GENERATION_WAIT_MS)
    return FastStream(broker, logger=logger), broker


class ServedArm:
    """One subscriber per topic generation of one run's arm: the current one and the next.

    Partitions are assigned, not balanced by a consumer group: the streams an instance serves
    were shared out on the control topic, and a group join would cost seconds per generation.
    When the first message of generation g arrives, every message of g-1 has been answered (the
    simulator publishes g only then), so g-1's subscriber stops and g+1's starts.

    The current generation's subscriber polls every `FETCH_MAX_WAIT_MS` (the floor of each hop);
    the next one's waits `NEXT_GENERATION_WAIT_MS`, as it idles for all but one tick of its
    generation (at 5 ms, polling an idle topic cost as much CPU as serving a busy one). When its
    first batch arrives it answers it and a fast subscriber replaces it. That one reads the
    generation from its start again (partitions are assigned, so it starts at `auto_offset_reset`),
    and records a subscriber reads below the next offset already answered in their partition are
    skipped (`_unanswered`): records of a partition arrive in offset order. This holds while the
    subscribers run; `stop` forgets it, so a `start` reads everything again (what was answered is
    then ignored by the host as a repeat, and records of streams taken since are answered).

    Its subscribers and publishers are registered with the broker as not `persistent`: the broker
    then holds them weakly, so once a run has ended and its arms are dropped, their subscribers,
    handlers and policy state are freed (a long-lived service serves run after run). A replaced
    generation's subscriber lives a generation longer: its successor was started in its handler,
    and the successor's tasks keep that handler's context until they stop. Only an app whose one
    run lasts as long as its process (`create_app`, whose broker documents the contract) keeps
    them registered for good.
    """

    def __init__(
        self,
        broker: KafkaBroker,
        service: StrategyService,
        partitions: int,
        generation: int,
        refusal: Refusal,
        persistent: bool = False,
    ):
        self.broker, self.service, self.partitions, self.refusal = broker, service, partitions, refusal
        self.persistent = persistent
        self.arm, self.run = service.arm, service.run
        self.dead = broker.publisher(
            dead_letter_topic(self.run),
            persistent=persistent,
            title="dead letters",
            description="DeadLetter (docs/events.schema.json): what a service could not use, why, "
            "and a bounded excerpt.",
        )
        self.snapshots = broker.publisher(
            snapshot_topic(self.run),
            persistent=persistent,
            title="stream snapshots",
            description="StreamSnapshot (msgpack): a stream's state after a simulated day, keyed "
            "replication/arm/day slot, in the replication's partition.",
        )
        self.subscribers: dict[int, Any] = {}  # generation -> its live subscriber
        self.current = generation
        self.answered: dict[tuple[str, int], int] = {}  # (topic, partition) -> next offset to answer
        self._stopping: set[asyncio.Task[None]] = set()  # replaced subscribers being stopped
        self._moving = asyncio.Lock()  # a generation's move and `stop` do not interleave
        self._answering = asyncio.Lock()  # subscribers' batches are answered one at a time

    async def start(self) -> None:
        """Subscribe at run time, from the generation the run's announcement names."""
        await self._listen(self.current, FETCH_MAX_WAIT_MS)
        await self._listen(self.current + 1, NEXT_GENERATION_WAIT_MS)

    async def stop(self) -> None:
        """Stop every subscriber, also those a move in progress starts. Its lock is not held while
        they stop: a handler in hand must be able to return (see `_move_to`)."""
        async with self._moving:
            subscribers, self.subscribers = self.subscribers, {}
        for sub in subscribers.values():
            await sub.stop()
        if self._stopping:
            await asyncio.gather(*self._stopping)
        self.answered = {}

    def replies(self, generation: int) -> Any:
        return self.broker.publisher(
            topics(self.run, self.arm, generation)[1],
            batch=True,
            persistent=self.persistent,
            title=f"{self.arm} responses, generation {generation}",
            description="Outbound events (docs/events.schema.json): responses keyed by "
            "customer id, broadcasts, and one tick-done marker per tick, in the replication's partition.",
        )

    async def replay(self, records: list[Record]) -> None:
        """Answer again what a replacement reads back (each generation's records in offset order,
        the oldest generation first) with the state it restored; replies go where they went."""
        for generation in sorted({generation_of(r.topic) for r in records}):
            batch = [r for r in records if generation_of(r.topic) == generation]
            await self._answer(batch, self.replies(generation))

    def subscribe(self, generation: int, fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS) -> Any:
        """A subscriber to `generation`'s conversations polling every `fetch_max_wait_ms` [ms]
        (not started); the next generation's replaces itself with a fast one on its first batch."""
        conversations = topics(self.run, self.arm, generation)[0]
        replies = self.replies(generation)
        sub = self.broker.subscriber(
            partitions=[TopicPartition(conversations, p) for p in range(self.partitions)],
            batch=True,
            max_records=5000,
            batch_timeout_ms=BATCH_WAIT_MS,
            fetch_max_wait_ms=fetch_max_wait_ms,
            auto_offset_reset="earliest",
            decoder=_records,
            persistent=self.persistent,
            title=f"{self.arm} conversations, generation {generation}",
            description="Inbound events (docs/events.schema.json): conversations keyed by "
            "customer id, and one tick-closed marker per tick, in the replication's partition.",
        )

        @sub
        async def handle(batch: list[Record]) -> None:
            # one batch at a time: while a replaced subscriber stops, it may still read a batch
            # beside its successor, and a tick's replies must leave in the order they were decided
            async with self._answering:
                fresh = self._unanswered(batch)
                moving = generation > self.current
                if moving:
                    self.current = generation
                if fresh:
                    await self._answer(fresh, replies)
            if moving:
                await self._move_to(generation, sub)

        return sub

    async def _listen(self, generation: int, fetch_max_wait_ms: int) -> None:
        sub = self.subscribers[generation] = self.subscribe(generation, fetch_max_wait_ms)
        await sub.start()

    def _unanswered(self, batch: list[Record]) -> list[Record]:
        """The records of `batch` not yet answered, which are from now on (see the class doc)."""
        fresh = []
        for rec in batch:
            where = (rec.topic, rec.partition)
            if rec.offset >= self.answered.get(where, 0):
                self.answered[where] = rec.offset + 1
                fresh.append(rec)
        return fresh

    async def _move_to(self, generation: int, waiting: Any) -> None:
        """`generation` has begun: a fast subscriber replaces `waiting` (which is running this
        handler: it is stopped in a task of its own, as FastStream's `stop` waits for the handler
        in hand to return and then cancels the subscriber's tasks), the next generation gets a
        waiting one and the previous generation's stops. Not if the arm was stopped meanwhile."""
        async with self._moving:
            if generation not in self.subscribers or self.subscribers[generation] is not waiting:
                return
            await self._listen(generation, FETCH_MAX_WAIT_MS)
            await self._listen(generation + 1, NEXT_GENERATION_WAIT_MS)
            task = asyncio.get_running_loop().create_task(waiting.stop())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)
            old = self.subscribers.pop(generation - 1, None)
            if old is not None:
                await old.stop()

    async def _answer(self, batch: list[Record], replies: Any) -> None:
        try:
            decided = self.service.receive(batch)
            outbound = [
                (
                    encode_bounded(out),
                    key(getattr(out.event, "customer", None)),
                    stream_partition(out.replication, self.partitions),
                )
                for out in decided.outbound
            ]
        except (EventConflict, OversizedEvent) as exc:
            self.refusal(self.run, exc)
            return
        stored = []
        for snap in decided.snapshots:
            value = encode_snapshot(self._stream_snapshot(snap))
            if len(value) > MAX_EVENT_BYTES:  # the stream goes on; a replacement restores an older day
                plain_logger(self.service.strategy.name).error(
                    "run %s, arm %s, replication %d: the snapshot of day %d (%d bytes) exceeds the "
                    "%d-byte message limit and is not stored",
                    *(self.run, self.arm, snap.replication, snap.day, len(value), MAX_EVENT_BYTES),
                )
                continue
            slot = snapshot_key(snap.replication, self.arm, snap.day)
            partition = stream_partition(snap.replication, self.partitions)
            stored.append(await self.snapshots.publish(value, key=slot, partition=partition, no_confirm=True))
        if stored:
            await asyncio.gather(*stored)  # before the replies: see the module doc
        pending = []
        for letter in decided.dead_letters:
            pending.append(await self.dead.publish(encode(letter), key=self.arm.encode(), no_confirm=True))
        for partition, messages in reply_batches(outbound):
            pending.append(await replies.publish(*messages, partition=partition, no_confirm=True))
        if pending:
            await asyncio.gather(*pending)

    def _stream_snapshot(self, snap: Snapshot) -> StreamSnapshot:
        return StreamSnapshot(
            run=self.run,
            replication=snap.replication,
            arm=self.arm,
            day=snap.day,
            tick=snap.tick,
            final=snap.final,
            generation=generation_of(snap.topic),
            next_offset=snap.next_offset,
            state=snap.state,
        )


def reply_batches(outbound: Sequence[tuple[bytes, bytes, int]]) -> list[tuple[int, list[KafkaResponse]]]:
    """(partition, records) to publish, from (value, key, partition) in the order decided: per
    partition in that order, each batch as many records as `MAX_BATCH_BYTES` holds (a lone record
    always fits: events are at most MAX_EVENT_BYTES). Going through FastStream's batch publish, its
    middlewares see each batch, and its Prometheus one counts every record of it as published."""
    by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
    for value, record_key, partition in outbound:
        by_partition.setdefault(partition, []).append((value, record_key))
    batches: list[tuple[int, list[KafkaResponse]]] = []
    for partition, records in by_partition.items():
        batch: list[KafkaResponse] = []
        size = BATCH_HEADER_BYTES
        for value, record_key in records:
            need = len(value) + len(record_key) + RECORD_OVERHEAD_BYTES
            if batch and size + need > MAX_BATCH_BYTES:
                batches.append((partition, batch))
                batch, size = [], BATCH_HEADER_BYTES
            batch.append(KafkaResponse(value, key=record_key))
            size += need
        batches.append((partition, batch))
    return batches


def refuse(run: str, cause: Exception) -> NoReturn:
    """Stop the service with one line: its policy state can no longer be trusted, or it cannot send.

    FastStream would log a handler's exception and go on, leaving the tick unanswered until the
    simulator's timeout; a process that exits is seen by the simulator's health check at once,
    and the run fails quoting this line (the last of the service's log). For a service that
    serves one run only."""
    print(f"refusing to go on: {cause}", file=sys.stderr, flush=True)
    os._exit(EXIT_REFUSED)
