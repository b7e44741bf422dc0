"""The Kafka transport: the same lockstep as in-process, over a Kafka-protocol broker.

Per tick and arm it publishes the conversations (keyed by customer id) and a tick-closed marker
with their count, then consumes the arm's responses until the tick-done marker has arrived with
as many distinct responses and broadcasts as it announces. Replies are put back in the
policy's canonical order, so the world sees exactly what the in-process transport gives it, and
handed back a replication at a time as each completes (`simulator.transport`): the world applies
one while the services still answer others.

The world `send`s a replication at a time, but a tick is published whole, once every replication
in flight has been sent (the world then computes its in-process baselines while the services
answer), in one record batch per partition. Publishing each replication as it was sent was
measured (4,000 customers, 8 replications, 3 partitions, 2 loaded cores): the broker and the
services then used 225 ms of CPU per tick instead of 53, because the embedded broker's cost is
per request rather than per record, and the wall time per tick more than doubled.
Every reply is checked against what was sent (`socialsim.kafka.replies`): repeats are ignored
and counted (`ignored`), unusable messages go to the run's dead-letter topic with the reason, and
a contradiction fails the run at once with one line. Messages over MAX_EVENT_BYTES are refused
both ways: an outgoing one is an error, an incoming one a dead letter.

Every `ticks_per_topic` exchanged ticks the run moves to the next generation of topics (see
`socialsim.kafka.topics`): it creates the generation after the new one and listens on the new
one's responses. A generation is deleted once it is two or more behind and a replacement service
can no longer need it: a service restores a stream from a snapshot at most
`SNAPSHOT_DAYS_KEPT` days old (`socialsim.kafka.snapshots`) and replays the ticks after it, so
every tick since the start of the day `SNAPSHOT_DAYS_KEPT - 1` days before the current one is kept.

A dead strategy service does not fail the run: a tick waits up to `replacement_timeout_s` for
its replies, and when the health check reports that a dead service was replaced, the wait starts
again from then. The replacement restores its streams and answers again the ticks since its
snapshot; those replies repeat what was taken and are ignored, a different one fails the run.

Long-lived strategy services learn of a run from the control topic: each replication of a
lockstep group is announced (with the resolved strategy of every arm, and the generation its
ticks start in) with the group's first tick, not at `open`, so a resumed run
(`socialsim.kafka.resume`) can first hand the services the state they restore; `end` tells every
control partition the run has ended. A replication's
events travel in one partition of each topic (`stream_partition`), so its ticks stay in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from simulator.transport import TransportError
from socialsim.contracts.events import TickBatch, TickReply
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.timeunits import MINUTES_PER_DAY
from socialsim.contracts.wire import (
    MAX_EVENT_BYTES,
    AnnouncedArm,
    Inbound,
    OversizedEvent,
    RunAnnouncement,
    RunEnded,
    dead_letter,
    encode,
    encode_bounded,
)

from .replies import ReplyConflict, ReplyLedger
from .topics import (
    CONTROL_PARTITIONS,
    CONTROL_TOPIC,
    TICKS_PER_TOPIC,
    dead_letter_topic,
    key,
    stream_key,
    stream_partition,
    topics,
)

# [ms] The embedded broker answers a fetch only when its max wait expires, so this is the floor
# of every hop; 1 ms makes five clients busy-poll the broker and starve two cores (a 20k-customer
# run took 11.5 s at 1 ms, 8.6 s at 5 ms, 9.3 s at 10 ms).
FETCH_MAX_WAIT_MS = 5
# [bytes] A producer's request limit: the largest event plus room for its key and the record and
# batch headers, so the client refuses nothing our own size check has let through.
MAX_REQUEST_BYTES = MAX_EVENT_BYTES + 64 * 1024
# [s] How long a tick whose announced count is reached only by counting replies to conversations
# never sent may wait for the genuine replies before the run fails (they are normally ms away).
UNSETTLED_GRACE_S = 1.0
# [s] After a lockstep group's final tick, how long to keep reading for a late genuine reply that
# would show an earlier one was forged (for other ticks, the next tick's collection does it).
FINAL_SETTLE_S = 0.2
# [s] How long announcing a run's end may take: it is cleanup, and must not hold up the exit.
END_TIMEOUT_S = 5.0
# [s] How long an interrupted step may take to unwind. It is normally at once, but a client
# waiting on a lost broker unwinds only at its request timeout (40 s): past this, the step is
# left cancelled and the clients are stopped under it (`shutdown`).
UNWIND_TIMEOUT_S = 1.0
# [s] How long stopping a client may take. A producer's stop first delivers what it holds, which
# is nothing at the end of a run, but with a lost broker it would wait for its request timeout.
CLIENT_STOP_TIMEOUT_S = 2.0
# [s] How long a tick waits for a strategy service's replies, and, once a dead service has been
# replaced, for its replacement (start-up, restoring snapshots, replaying up to two simulated days).
REPLACEMENT_TIMEOUT_S = 60.0
# [days] How many days back a stream can be restored (socialsim.kafka.snapshots): the latest day's
# snapshot, and the one before it. A resumed run does not need them: its checkpoint carries its
# day's snapshots (socialsim.kafka.resume).
SNAPSHOT_DAYS_KEPT = 2


T = TypeVar("T")


class TopicAdmin(Protocol):
    def create(self, names: list[str], partitions: int) -> None: ...
    def delete(self, names: list[str]) -> None: ...


class KafkaTransport:
    name = "kafka"

    def __init__(
        self,
        bootstrap: str,
        run: str,
        arms: list[str],
        admin: TopicAdmin,
        partitions: int,
        *,
        health_check: Callable[[], str | None] = lambda: None,
        replacement_timeout_s: float = REPLACEMENT_TIMEOUT_S,
        ticks_per_topic: int = TICKS_PER_TOPIC,
        unsettled_grace_s: float = UNSETTLED_GRACE_S,
        final_settle_s: float = FINAL_SETTLE_S,
    ):
        self.bootstrap, self.run, self.arms = bootstrap, run, arms
        self.admin, self.partitions = admin, partitions
        self.health_check = health_check  # raises when the run cannot go on; says what it replaced
        self.replacement_timeout_s = replacement_timeout_s
        self.ticks_per_topic = ticks_per_topic
        self.unsettled_grace_s, self.final_settle_s = unsettled_grace_s, final_settle_s
        self.ledger = ReplyLedger(run)
        self.generation = 0
        self._exchanges = 0
        self._day_starts: list[int] = []  # the exchange each simulated day started at
        self._deleted = 0  # generations below this one are deleted
        self.replaced: list[str] = []  # what the health check replaced, as it said it
        self.loop = asyncio.new_event_loop()
        self._unpublished: dict[tuple[int, str], TickBatch] = {}  # sent this tick, not yet published
        self.replications: list[int] = []
        self.dead_letters = 0
        self.records = 0  # event records published and consumed on the run's topics (throughput)
        self.announced = False
        self._unannounced: dict[str, Strategy] | None = None  # the group opened, not yet announced

        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._arm_of_topic: dict[str, str] = {}

    # ---- Transport protocol -----------------------------------------------------------------
    def open(self, arms: dict[str, Strategy], replications: list[int]) -> None:
        self.replications = replications
        self.ledger.open(replications)
        if self._producer is None:
            self._run(self._start())
        self._unannounced = dict(arms)  # announced with the first tick (module doc)

    def send(self, batches: dict[tuple[int, str], TickBatch]) -> None:
        """Take one replication's tick; the last one sent publishes the whole tick (module doc)."""
        self._run(self._send(batches))

    def replies(self) -> Iterator[dict[tuple[int, str], TickReply]]:
        """Each replication's replies as soon as they are all in, until every one sent is taken."""
        while self.ledger.collecting():
            yield self._run(self._collect(self.ledger.tick))
        if self.ledger.final:
            self._run(self._settle())

    @property
    def ignored(self) -> int:
        """Replies dropped as repeats or stale so far (by kind in `ledger.ignored`)."""
        return sum(self.ledger.ignored.values())

    def close(self) -> None:
        """Called after each replication; the connections stay up until `shutdown`."""

    def end(self, timeout_s: float = END_TIMEOUT_S) -> None:
        """Tell the services the run is over, waiting at most `timeout_s` [s] (before `shutdown`)."""
        if self._producer is not None and self.announced:
            self._run(asyncio.wait_for(self._end(), timeout_s))

    def shutdown(self) -> None:
        try:
            self._run(self._stop())
        finally:
            self.loop.close()

    # ---- internals --------------------------------------------------------------------------
    def _run(self, step: Coroutine[Any, Any, T]) -> T:
        """Run `step` on the transport's loop. An exception raised while it waits, outside it (a
        signal handler's: Ctrl-C, SIGTERM, the broker watchdog's `BrokerLost`), cancels it and lets
        it unwind before going on up, as `asyncio.run` does: left pending, it would wake up inside
        the cleanup's own steps, starting a client while `shutdown` stops it, or failing on the
        loop `shutdown` closed."""
        task = self.loop.create_task(step)
        try:
            return self.loop.run_until_complete(task)
        except BaseException:
            if not task.done():
                task.cancel()
                # what it ends with is the cancellation, or what stopped it: already on its way up
                with contextlib.suppress(BaseException):
                    self.loop.run_until_complete(asyncio.wait({task}, timeout=UNWIND_TIMEOUT_S))
            raise

    @property
    def _out(self) -> AIOKafkaProducer:
        assert self._producer is not None, "open() starts the producer"
        return self._producer

    @property
    def _in(self) -> AIOKafkaConsumer:
        assert self._consumer is not None, "open() starts the consumer"
        return self._consumer

    async def _start(self) -> None:
        try:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                linger_ms=0,
                max_batch_size=1 << 20,
                max_request_size=MAX_REQUEST_BYTES,
                client_id="socialsim-simulator",
            )
            await self._producer.start()
            self._consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
                enable_auto_commit=False,
                client_id="socialsim-simulator",
            )
            await self._consumer.start()
        except Exception as exc:  # aiokafka raises several types for an unreachable broker
            raise TransportError(f"cannot reach a Kafka broker at {self.bootstrap}: {exc}") from None
        await self._listen(0)

    async def _listen(self, generation: int) -> None:
        """Consume the responses of `generation` (all of the previous one's have been collected)."""
        self.generation = generation
        self._arm_of_topic = {topics(self.run, arm, generation)[1]: arm for arm in self.arms}
        parts = [TopicPartition(topic, p) for topic in self._arm_of_topic for p in range(self.partitions)]
        self._in.assign(parts)
        await self._in.seek_to_beginning(*parts)

    async def _announce(self, restore_day: int | None = None) -> None:
        """Tell the long-lived services that the replications opened start, in the generation their
        first tick travels in (moved to now, so the one after it exists when a service reads it);
        with `restore_day`, from their snapshots of that day."""
        arms, replications = self._unannounced or {}, self.replications
        self._unannounced = None
        self.admin.create([CONTROL_TOPIC], CONTROL_PARTITIONS)
        if self._exchanges // self.ticks_per_topic != self.generation:
            await self._advance(self._exchanges // self.ticks_per_topic)
        announced = [AnnouncedArm(arm=arm, strategy=s.model_dump(mode="json")) for arm, s in arms.items()]
        sent = []
        for rep in replications:
            message = RunAnnouncement(
                run=self.run,
                replication=rep,
                partitions=self.partitions,
                generation=self.generation,
                arms=announced,
                restore_day=restore_day,
            )
            sent.append(await self._out.send(CONTROL_TOPIC, encode(message), key=stream_key(self.run, rep)))
        await asyncio.gather(*sent)
        self.announced = True

    async def _end(self, run: str | None = None) -> None:
        """Every control partition hears the end of `run` (this one if None), whichever instance
        reads it now."""
        run = run or self.run
        parts = await self._out.partitions_for(CONTROL_TOPIC)
        ended = encode(RunEnded(run=run))
        sent = [await self._out.send(CONTROL_TOPIC, ended, key=run.encode(), partition=p) for p in parts]
        await asyncio.gather(*sent)

    def _names(self, generation: int) -> list[str]:
        return [t for arm in self.arms for t in topics(self.run, arm, generation)]

    async def _advance(self, generation: int) -> None:
        self.admin.create(self._names(generation + 1), self.partitions)
        await self._listen(generation)

    def _prune(self) -> None:
        """Delete the generations no replacement can need (module doc): two or more behind the
        current one, and wholly before the first tick a kept snapshot may replay from."""
        starts = self._day_starts
        keep_from = starts[-SNAPSHOT_DAYS_KEPT] if len(starts) >= SNAPSHOT_DAYS_KEPT else 0
        doomed = []
        while (
            self._deleted <= self.generation - 2 and (self._deleted + 1) * self.ticks_per_topic <= keep_from
        ):
            doomed += self._names(self._deleted)
            self._deleted += 1
        if doomed:
            self.admin.delete(doomed)

    async def _stop(self) -> None:
        """Stop whichever clients exist (an interrupted `_start` may have made only one), each one
        whatever the other's stop raises. A client's background task that an interrupt ended
        raises it again when the client awaits it on its way out: that is the stop already under
        way (signals are held during cleanup), not news. An error is, and so is a stop that took
        longer than CLIENT_STOP_TIMEOUT_S."""
        clients = [c for c in (self._consumer, self._producer) if c is not None]
        self._producer = self._consumer = None
        stopped = await asyncio.gather(
            *(asyncio.wait_for(c.stop(), CLIENT_STOP_TIMEOUT_S) for c in clients), return_exceptions=True
        )
        errors = [e for e in stopped if isinstance(e, Exception)]
        if errors:
            raise errors[0]

    async def _send(self, batches: dict[tuple[int, str], TickBatch]) -> None:
        if not self.ledger.collecting():  # the first replication of a tick: every earlier reply is in
            await self._next_tick(next(iter(batches.values())))
        self.ledger.sent(batches)
        self._unpublished.update(batches)
        if self.ledger.collecting() == set(self.replications):
            await self._publish_unpublished()

    async def _publish_unpublished(self) -> None:
        unpublished, self._unpublished = self._unpublished, {}
        await self._publish(unpublished)

    async def _next_tick(self, first: TickBatch) -> None:
        if self._unannounced is not None:
            await self._announce()
        # generations count exchanged ticks, not tick numbers: a run of several lockstep groups
        # restarts at tick 0
        if self._exchanges // self.ticks_per_topic != self.generation:
            await self._advance(self._exchanges // self.ticks_per_topic)
        if first.closed.start_minute % MINUTES_PER_DAY == 0:
            self._day_starts.append(self._exchanges)
            self._prune()
        self._exchanges += 1

    async def _publish(self, batches: dict[tuple[int, str], TickBatch]) -> None:
        """One record batch per (topic, partition), holding the tick of every stream routed there:
        the producer keeps one open batch per partition, so a second one would wait for the first
        to be sent (a broker round trip each)."""
        routed: dict[tuple[str, int], list[tuple[bytes, bytes]]] = defaultdict(list)
        for (rep, arm), batch in batches.items():
            records = routed[
                topics(self.run, arm, self.generation)[0], stream_partition(rep, self.partitions)
            ]
            for c in batch.conversations:
                records.append(
                    (key(c.customer), self._encode(Inbound(run=self.run, replication=rep, event=c), arm))
                )
            marker = self._encode(Inbound(run=self.run, replication=rep, event=batch.closed), arm)
            records.append((key(None), marker))
        sent = []
        for (topic, partition), records in routed.items():
            self.records += len(records)
            sent += await self._send_batches(topic, partition, records)
        await asyncio.gather(*sent)

    async def _send_batches(
        self, topic: str, partition: int, records: list[tuple[bytes, bytes]]
    ) -> list[asyncio.Future[Any]]:
        """As few record batches as the producer's batch size allows, in order; their delivery futures."""
        futures = []
        batch = self._out.create_batch()
        for record_key, value in records:
            if batch.append(key=record_key, value=value, timestamp=None) is None:
                futures.append(await self._out.send_batch(batch, topic, partition=partition))
                batch = self._out.create_batch()
                batch.append(key=record_key, value=value, timestamp=None)
        futures.append(await self._out.send_batch(batch, topic, partition=partition))
        return futures

    @staticmethod
    def _encode(message: Inbound, arm: str) -> bytes:
        try:
            return encode_bounded(message)
        except OversizedEvent as exc:
            raise TransportError(f"arm {arm}, tick {message.event.tick}: {exc}") from None

    async def _collect(self, tick: int) -> dict[tuple[int, str], TickReply]:
        """The replies of the replications complete first (at least one)."""
        if self._unpublished:  # not every replication in flight sent this tick
            await self._publish_unpublished()
        deadline = time.monotonic() + self.replacement_timeout_s
        last_check = time.monotonic()
        unsettled_since: float | None = None
        while not (ready := self.ledger.ready()):
            await self._poll()
            now = time.monotonic()
            if now - last_check > 0.2:
                replaced = self.health_check()
                if replaced is not None:
                    self.replaced.append(replaced)
                    deadline = now + self.replacement_timeout_s
                last_check = now
            unsettled = self.ledger.unsettled()
            if not unsettled:
                unsettled_since = None
            elif unsettled_since is None:
                unsettled_since = now
            elif now - unsettled_since > self.unsettled_grace_s:
                raise ReplyConflict(unsettled[0])
            if now > deadline:
                late = self.ledger.progress()
                detail = "; ".join(f"{arm} replication {rep}: {p}" for (rep, arm), p in sorted(late.items()))
                what = f"; {self.replaced[-1]}" if self.replaced else ""
                arms = ", ".join(sorted({arm for _, arm in late}))
                raise TransportError(
                    f"no complete reply to tick {tick} from arm(s) {arms} "
                    f"within the replacement timeout of {self.replacement_timeout_s:g} s: their strategy "
                    f"service is silent or dead and no replacement took over{what} ({detail})"
                )
        return self.ledger.replies(ready)

    async def _settle(self) -> None:
        """Read on for `final_settle_s`: a late reply to the final tick is checked like any other."""
        deadline = time.monotonic() + self.final_settle_s
        while time.monotonic() < deadline:
            await self._poll()

    async def _poll(self) -> None:
        records = await self._in.getmany(timeout_ms=100, max_records=10_000)
        for tp, recs in records.items():
            self.records += len(recs)
            for rec in recs:
                await self._ingest(tp, rec)

    async def _ingest(self, tp: TopicPartition, rec: ConsumerRecord[Any, Any]) -> None:
        reason = self.ledger.read(rec.value or b"", self._arm_of_topic[tp.topic])
        if reason is not None:
            await self._dead_letter(tp, rec, reason)

    async def _dead_letter(self, tp: TopicPartition, rec: ConsumerRecord[Any, Any], reason: str) -> None:
        self.dead_letters += 1
        letter = dead_letter(tp.topic, tp.partition, rec.offset, reason, rec.value)
        await self._out.send_and_wait(dead_letter_topic(self.run), encode(letter), key=b"simulator")
