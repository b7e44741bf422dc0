"""The Kafka transport: the same lockstep as in-process, over a Kafka-protocol broker.

Per tick and arm it publishes the conversations (keyed by customer id) and a tick-closed marker
with their count, then consumes the arm's responses until the tick-done marker has arrived with
as many distinct responses and broadcasts as it announces. Replies are put back in the
policy's canonical order, so the world sees exactly what the in-process transport gives it.
Unusable messages on the responses topics go to the run's dead-letter topic.

Every `ticks_per_topic` exchanged ticks the run moves to the next generation of topics (see
`socialsim.kafka.topics`): it creates the generation after the new one, listens on the new
one's responses, and deletes the generation two behind, which no service reads any more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from simulator.transport import TransportError
from socialsim.contracts.events import Broadcast, Response, TickBatch, TickDone, TickReply
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import DeadLetter, Inbound, decode_outbound, encode

from .topics import TICKS_PER_TOPIC, dead_letter_topic, key, topics

# [ms] The embedded broker answers a fetch only when its max wait expires, so this is the floor
# of every hop; 1 ms makes five clients busy-poll the broker and starve two cores (a 20k-customer
# run took 11.5 s at 1 ms, 8.6 s at 5 ms, 9.3 s at 10 ms).
FETCH_MAX_WAIT_MS = 5


class TopicAdmin(Protocol):
    def create(self, names: list[str], partitions: int) -> None: ...
    def delete(self, names: list[str]) -> None: ...


class _Pending:
    """One arm's reply to the current tick, as it arrives in any order, duplicates dropped."""

    def __init__(self) -> None:
        self.responses: dict[str, Response] = {}
        self.broadcasts: dict[str, Broadcast] = {}
        self.done: TickDone | None = None

    def complete(self) -> bool:
        d = self.done
        return d is not None and len(self.responses) >= d.responses and len(self.broadcasts) >= d.broadcasts

    def progress(self) -> str:
        if self.done is None:
            return f"no tick-done marker yet, {len(self.responses)} responses"
        return (
            f"{len(self.responses)}/{self.done.responses} responses, "
            f"{len(self.broadcasts)}/{self.done.broadcasts} broadcasts"
        )

    def reply(self) -> TickReply:
        assert self.done is not None
        responses = sorted(self.responses.values(), key=lambda r: (r.minute, r.conversation_id))
        broadcasts = sorted(self.broadcasts.values(), key=lambda b: int(b.id.rsplit(":", 1)[1]))
        return TickReply(responses=responses, broadcasts=broadcasts, done=self.done)


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
        health_check: Callable[[], None] = lambda: None,
        tick_timeout_s: float = 60.0,
        ticks_per_topic: int = TICKS_PER_TOPIC,
    ):
        self.bootstrap, self.run, self.arms = bootstrap, run, arms
        self.admin, self.partitions = admin, partitions
        self.health_check = health_check
        self.tick_timeout_s = tick_timeout_s
        self.ticks_per_topic = ticks_per_topic
        self.generation = 0
        self._exchanges = 0
        self.loop = asyncio.new_event_loop()
        self.replications: list[int] = []
        self.dead_letters = 0

        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._arm_of_topic: dict[str, str] = {}

    # ---- Transport protocol -----------------------------------------------------------------
    def open(self, arms: dict[str, Strategy], replications: list[int]) -> None:
        self.replications = replications
        if self._producer is None:
            self.loop.run_until_complete(self._start())

    def exchange(self, batches: dict[tuple[int, str], TickBatch]) -> dict[tuple[int, str], TickReply]:
        return self.loop.run_until_complete(self._exchange(batches))

    def close(self) -> None:
        """Called after each replication; the connections stay up until `shutdown`."""

    def shutdown(self) -> None:
        if self._producer is not None:
            self.loop.run_until_complete(self._stop())
        self.loop.close()

    # ---- internals --------------------------------------------------------------------------
    async def _start(self) -> None:
        try:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                linger_ms=0,
                max_batch_size=1 << 20,
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
        self._consumer.assign(parts)
        await self._consumer.seek_to_beginning(*parts)

    def _names(self, generation: int) -> list[str]:
        return [t for arm in self.arms for t in topics(self.run, arm, generation)]

    async def _advance(self, generation: int) -> None:
        self.admin.create(self._names(generation + 1), self.partitions)
        await self._listen(generation)
        if generation >= 2:
            self.admin.delete(self._names(generation - 2))

    async def _stop(self) -> None:
        await self._consumer.stop()
        await self._producer.stop()
        self._producer = self._consumer = None

    async def _exchange(self, batches: dict[tuple[int, str], TickBatch]) -> dict[tuple[int, str], TickReply]:
        tick = next(iter(batches.values())).closed.tick
        # generations count exchanges, not ticks: a run of several lockstep groups restarts at tick 0
        if self._exchanges // self.ticks_per_topic != self.generation:
            await self._advance(self._exchanges // self.ticks_per_topic)
        self._exchanges += 1
        await self._publish(batches)
        return await self._collect(tick, list(batches))

    async def _publish(self, batches: dict[tuple[int, str], TickBatch]) -> None:
        sent = []
        for (rep, arm), batch in batches.items():
            conversations = topics(self.run, arm, self.generation)[0]
            for c in batch.conversations:
                value = encode(Inbound(run=self.run, replication=rep, event=c))
                sent.append(await self._producer.send(conversations, value, key=key(c.customer)))
            marker = encode(Inbound(run=self.run, replication=rep, event=batch.closed))
            sent.append(await self._producer.send(conversations, marker, key=key(None)))
        await asyncio.gather(*sent)

    async def _collect(self, tick: int, keys: list[tuple[int, str]]) -> dict[tuple[int, str], TickReply]:
        pending = {k: _Pending() for k in keys}
        deadline = time.monotonic() + self.tick_timeout_s
        last_check = time.monotonic()
        while not all(p.complete() for p in pending.values()):
            records = await self._consumer.getmany(timeout_ms=100, max_records=10_000)
            for tp, recs in records.items():
                for rec in recs:
                    await self._ingest(tp, rec, tick, pending)
            now = time.monotonic()
            if now - last_check > 0.2:
                self.health_check()
                last_check = now
            if now > deadline:
                late = {k: p for k, p in pending.items() if not p.complete()}
                detail = "; ".join(
                    f"{arm} replication {rep}: {p.progress()}" for (rep, arm), p in sorted(late.items())
                )
                raise TransportError(
                    f"no complete reply to tick {tick} within {self.tick_timeout_s:.0f} s from arm(s) "
                    f"{', '.join(sorted({arm for _, arm in late}))} ({detail})"
                )
        return {k: p.reply() for k, p in pending.items()}

    async def _ingest(
        self, tp: TopicPartition, rec, tick: int, pending: dict[tuple[int, str], _Pending]
    ) -> None:
        try:
            msg = decode_outbound(rec.value or b"")
        except msgspec.DecodeError as exc:
            await self._dead_letter(tp, rec, f"not a valid event: {exc}")
            return
        if msg.run != self.run:
            await self._dead_letter(tp, rec, f"event for run {msg.run!r}, this run is {self.run!r}")
            return
        event = msg.event
        p = pending.get((msg.replication, self._arm_of_topic[tp.topic]))
        if p is None or event.tick != tick:
            return  # an earlier tick or replication redelivered: already applied
        if isinstance(event, Response):
            p.responses.setdefault(event.id, event)
        elif isinstance(event, Broadcast):
            p.broadcasts.setdefault(event.id, event)
        else:
            p.done = p.done or event

    async def _dead_letter(self, tp: TopicPartition, rec, reason: str) -> None:
        self.dead_letters += 1
        letter = DeadLetter(
            topic=tp.topic,
            partition=tp.partition,
            offset=rec.offset,
            reason=reason,
            original=(rec.value or b"").decode("utf-8", errors="replace"),
        )
        await self._producer.send_and_wait(dead_letter_topic(self.run), encode(letter), key=b"simulator")
