"""How events travel on Kafka: topic names, envelopes, and their JSON encoding.

One pair of topics per run, arm and *generation*: `<prefix>.<arm>.conversations.<g>` (simulator
-> service) and `<prefix>.<arm>.responses.<g>` (service -> simulator), plus one dead-letter topic
per run. A generation holds a fixed number of consecutive ticks; the run then moves on to the
next pair and deletes the pair two behind. Brokers that keep a partition as a list of batches
(the embedded one scans all of them on every fetch, and stops answering at a few thousand) so
never hold more than one generation's worth. Keys are customer ids, so one customer's events stay
in order within a partition; markers carry counts, so completion never depends on partition
order or end offsets.
"""

from __future__ import annotations

from typing import Union

import msgspec

from .events import Broadcast, Conversation, Response, TickClosed, TickDone

# Ticks per topic generation [ticks]. A tick adds one to a few batches to each partition; the
# embedded broker's fetch slows with every stored batch and stops answering at ~2,400 of them
# (bench/broker_batches.py measures it).
TICKS_PER_TOPIC = 200

ToService = Union[Conversation, TickClosed]
FromService = Union[Response, Broadcast, TickDone]


class Inbound(msgspec.Struct, frozen=True, kw_only=True):
    """A message on an arm's conversations topic."""

    run: str
    replication: int
    event: ToService


class Outbound(msgspec.Struct, frozen=True, kw_only=True):
    """A message on an arm's responses topic."""

    run: str
    replication: int
    event: FromService


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A message a service could not use, kept with the reason and the original bytes."""

    topic: str
    partition: int
    offset: int
    reason: str
    original: str  # the original value, decoded as UTF-8 with replacement


_inbound = msgspec.json.Decoder(Inbound)
_outbound = msgspec.json.Decoder(Outbound)
encode = msgspec.json.Encoder().encode


def decode_inbound(raw: bytes) -> Inbound:
    return _inbound.decode(raw)


def decode_outbound(raw: bytes) -> Outbound:
    return _outbound.decode(raw)


def topics(prefix: str, arm: str, generation: int = 0) -> tuple[str, str]:
    return f"{prefix}.{arm}.conversations.{generation}", f"{prefix}.{arm}.responses.{generation}"


def generation_of(topic: str) -> int:
    """The generation a run topic belongs to (its last dotted part)."""
    return int(topic.rsplit(".", 1)[1])


def dead_letter_topic(prefix: str) -> str:
    return f"{prefix}.dead-letter"


def key(customer: int | None) -> bytes:
    return b"marker" if customer is None else str(customer).encode()
