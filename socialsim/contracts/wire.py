"""The envelopes events travel in between processes, and their JSON encoding.

An `Inbound` goes from the simulator to a strategy service, an `Outbound` comes back, a
`DeadLetter` keeps what a consumer could not use. Where they travel (topic names, keys) is the
Kafka adapter's business (`socialsim.kafka.topics`); what they carry is fixed here.
"""

from __future__ import annotations

import msgspec

from .events import Broadcast, Conversation, Response, TickClosed, TickDone

ToService = Conversation | TickClosed
FromService = Response | Broadcast | TickDone


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
