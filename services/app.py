"""The FastStream app of one strategy service: broker, subscriber, a small typed handler.

    socialsim service --scenario FILE --arm NAME --bootstrap HOST:PORT --run-id ID

Consumes the arm's conversations topic in batches, lets `StrategyService` decide, publishes
responses keyed by customer id (markers keyed "marker") and dead letters to the run's
dead-letter topic, then waits for the broker to confirm the whole tick.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker, TopicPartition

from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import dead_letter_topic, encode, key, topics

from .service import Record, StrategyService

FETCH_MAX_WAIT_MS = 1  # the embedded broker answers a fetch only when this expires (see README)


async def _records(message: Any) -> list[Record]:
    """Decoder: hand the handler the raw records (value bytes plus where they came from)."""
    return [Record(r.topic, r.partition, r.offset, r.value) for r in message.raw_message]


def create_app(strategy: Strategy, arm: str, bootstrap: str, run: str, partitions: int) -> tuple[FastStream, StrategyService]:
    conversations, responses = topics(run, arm)
    dlq = dead_letter_topic(run)
    # one log line per consumed batch would be thousands per run: log warnings and errors only
    broker = KafkaBroker(bootstrap, client_id=f"socialsim-{arm}", linger_ms=0, max_batch_size=1 << 20,
                         log_level=logging.DEBUG)
    service = StrategyService(strategy, arm, run)

    # Partitions are assigned, not balanced by a consumer group: one service owns its arm's topic,
    # a group join would cost seconds per run, and a restarted service replays the topic from the
    # start, rebuilding exactly the policy state it lost (replies to old ticks are ignored).
    replies = broker.publisher(responses, title=f"{arm} responses",
                               description="Outbound events (docs/events.schema.json): responses keyed by customer id, "
                                           "broadcasts, and one tick-done marker per tick.")
    dead = broker.publisher(dlq, title="dead letters",
                            description="DeadLetter (docs/events.schema.json): what a service could not use, why, and the original bytes.")

    @broker.subscriber(partitions=[TopicPartition(conversations, p) for p in range(partitions)], batch=True,
                       max_records=5000, batch_timeout_ms=5, fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
                       auto_offset_reset="earliest", decoder=_records, title=f"{arm} conversations",
                       description="Inbound events (docs/events.schema.json): conversations keyed by customer id, "
                                   "and one tick-closed marker per tick.")
    async def handle(batch: list[Any]) -> None:
        decided = service.receive(batch)
        pending = []
        for letter in decided.dead_letters:
            pending.append(await dead.publish(encode(letter), key=arm.encode(), no_confirm=True))
        for out in decided.outbound:
            customer = getattr(out.event, "customer", None)
            pending.append(await replies.publish(encode(out), key=key(customer), no_confirm=True))
        if pending:
            await asyncio.gather(*pending)

    return FastStream(broker), service
