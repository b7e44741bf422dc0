"""The FastStream app of one strategy service: broker, subscriber, a small typed handler.

    socialsim service --scenario FILE --arm NAME --bootstrap HOST:PORT --run-id ID

Consumes the arm's conversations topics in batches, lets `StrategyService` decide, publishes
responses keyed by customer id (markers keyed "marker") to the responses topic of the same
generation and dead letters to the run's dead-letter topic, then waits for the broker to confirm
the whole tick.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from faststream import FastStream
from faststream.kafka import KafkaBroker, TopicPartition

from services.host import EventConflict, HostObserver, Record, StrategyService
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import OversizedEvent, encode, encode_bounded

from .topics import dead_letter_topic, key, topics
from .transport import FETCH_MAX_WAIT_MS, MAX_REQUEST_BYTES

# The exit code of a service that stopped because its input contradicts itself (see `_refuse`).
EXIT_REFUSED = 3


def plain_logger(arm: str) -> logging.Logger:
    """The service's logger, writing plain lines to stderr.

    FastStream's own handlers colour every line, terminal or not; a service's stderr is a log file
    whose last error line the run quotes when the service dies, so it must be plain text."""
    logger = logging.getLogger(f"socialsim.service.{arm}")
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


def create_app(
    strategy: Strategy,
    arm: str,
    bootstrap: str,
    run: str,
    partitions: int,
    middlewares: Sequence[Any] = (),
    meter: HostObserver | None = None,
) -> tuple[FastStream, KafkaBroker]:
    """The app and its broker (FastStream's own `app.broker` is optional). `middlewares` wrap every
    message (the composition root passes FastStream's Prometheus middleware)."""
    dlq = dead_letter_topic(run)
    logger = plain_logger(arm)
    # one log line per consumed batch would be thousands per run: log warnings and errors only
    broker = KafkaBroker(
        bootstrap,
        client_id=f"socialsim-{arm}",
        linger_ms=0,
        max_batch_size=1 << 20,
        max_request_size=MAX_REQUEST_BYTES,
        log_level=logging.DEBUG,
        logger=logger,
        middlewares=tuple(middlewares),
    )
    service = StrategyService(strategy, arm, run, meter)
    dead = broker.publisher(
        dlq,
        title="dead letters",
        description=(
            "DeadLetter (docs/events.schema.json): what a service could not use, why, and a bounded excerpt."
        ),
    )
    generations = _Generations(broker, service, arm, run, partitions, dead)
    generations.subscribe(0)
    generations.subscribe(1)  # one ahead, so the first tick of the next generation is never waited for
    return FastStream(broker, logger=logger), broker


class _Generations:
    """One subscriber per topic generation: the current one and the next, created as the run moves on.

    Partitions are assigned, not balanced by a consumer group: one service owns its arm's topics,
    and a group join would cost seconds per generation. When the first message of generation g
    arrives, every message of g-1 has been answered (the simulator publishes g only then), so
    g-1's subscriber stops and g+1's starts.
    """

    def __init__(
        self, broker: KafkaBroker, service: StrategyService, arm: str, run: str, partitions: int, dead: Any
    ):
        self.broker, self.service, self.arm, self.run, self.partitions, self.dead = (
            broker,
            service,
            arm,
            run,
            partitions,
            dead,
        )
        self.subscribers: dict[int, Any] = {}
        self.current = 0

    def subscribe(self, generation: int) -> Any:
        conversations, responses = topics(self.run, self.arm, generation)
        replies = self.broker.publisher(
            responses,
            title=f"{self.arm} responses, generation {generation}",
            description="Outbound events (docs/events.schema.json): responses keyed by "
            "customer id, broadcasts, and one tick-done marker per tick.",
        )
        sub = self.broker.subscriber(
            partitions=[TopicPartition(conversations, p) for p in range(self.partitions)],
            batch=True,
            max_records=5000,
            batch_timeout_ms=5,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            auto_offset_reset="earliest",
            decoder=_records,
            title=f"{self.arm} conversations, generation {generation}",
            description="Inbound events (docs/events.schema.json): conversations keyed by "
            "customer id, and one tick-closed marker per tick.",
        )

        @sub
        async def handle(batch: list[Any]) -> None:
            if generation > self.current:
                await self._move_to(generation)
            await self._answer(batch, replies)

        self.subscribers[generation] = sub
        return sub

    async def _move_to(self, generation: int) -> None:
        self.current = generation
        old = self.subscribers.pop(generation - 1, None)
        if old is not None:
            await old.stop()
        await self.subscribe(generation + 1).start()

    async def _answer(self, batch: list[Record], replies: Any) -> None:
        try:
            decided = self.service.receive(batch)
            outbound = [
                (encode_bounded(out), key(getattr(out.event, "customer", None))) for out in decided.outbound
            ]
        except (EventConflict, OversizedEvent) as exc:
            _refuse(exc)
        pending = []
        for letter in decided.dead_letters:
            pending.append(await self.dead.publish(encode(letter), key=self.arm.encode(), no_confirm=True))
        for value, customer_key in outbound:
            pending.append(await replies.publish(value, key=customer_key, no_confirm=True))
        if pending:
            await asyncio.gather(*pending)


def _refuse(cause: Exception) -> NoReturn:
    """Stop the service with one line: its policy state can no longer be trusted, or it cannot send.

    FastStream would log a handler's exception and go on, leaving the tick unanswered until the
    simulator's timeout; a process that exits is seen by the simulator's health check at once,
    and the run fails quoting this line (the last of the service's log)."""
    print(f"refusing to go on: {cause}", file=sys.stderr, flush=True)
    os._exit(EXIT_REFUSED)
