"""The envelopes events travel in between processes, and their JSON encoding.

An `Inbound` goes from the simulator to a strategy service, an `Outbound` comes back, a
`DeadLetter` keeps what a consumer could not use. Where they travel (topic names, keys) is the
Kafka adapter's business (`socialsim.kafka.topics`); what they carry is fixed here, and so is how
big a message may be: both ends refuse bigger ones, so a dead letter always fits where it goes.
"""

from __future__ import annotations

import hashlib
from typing import Any

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


class AnnouncedArm(msgspec.Struct, frozen=True, kw_only=True):
    """One arm of an announced run: its name and its fully resolved strategy (arm overrides and
    `--set` values applied), as the `Strategy` model's JSON, so a service needs no config files.
    The strategy's `name` says which long-lived service serves the arm."""

    arm: str
    strategy: dict[str, Any]


class RunAnnouncement(msgspec.Struct, frozen=True, kw_only=True, tag="announce"):
    """On the control topic, keyed by run and replication: one stream (a replication of a run) is
    about to start. Whichever instance of a strategy reads it serves that stream's arms of its
    strategy until the run ends; the ticks travel on the run's topics from `generation` on."""

    run: str
    replication: int
    partitions: int
    generation: int
    arms: list[AnnouncedArm]
    # A resumed run whose world restarts after simulated day `restore_day`: every service restores
    # the stream from its snapshot of that day, not its latest (None: latest, the usual case).
    restore_day: int | None = None


class RunEnded(msgspec.Struct, frozen=True, kw_only=True, tag="ended"):
    """On every partition of the control topic: the run is over and its topics are being deleted."""

    run: str


Control = RunAnnouncement | RunEnded


# [bytes] The largest encoded event either end publishes or accepts: Kafka's default
# `message.max.bytes` (1 MiB), which brokers and clients agree on unless configured otherwise.
MAX_EVENT_BYTES = 1 << 20
# [bytes] How much of a refused message its dead letter keeps: enough to read what it was, small
# enough that a dead letter of the largest acceptable (or any refused) message stays far below
# MAX_EVENT_BYTES.
EXCERPT_BYTES = 1024
# [characters] A reason quotes parts of the message (a run id, an arm): bounded for the same cause.
REASON_CHARS = 500


class OversizedEvent(ValueError):
    """An outgoing event that encodes to more than MAX_EVENT_BYTES: an error, never a silent drop."""


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A message a consumer could not use: why, where it was, and a bounded excerpt of it."""

    topic: str
    partition: int
    offset: int
    reason: str
    original: str  # the first EXCERPT_BYTES of the original value, decoded as UTF-8 with replacement
    original_bytes: int  # the original value's full size
    original_sha256: str  # hex digest of the full original value, to match it with a broker's copy


def dead_letter(topic: str, partition: int, offset: int, reason: str, value: bytes | None) -> DeadLetter:
    """The dead letter of `value`, whatever its size: it keeps an excerpt, the size and a digest."""
    raw = value or b""
    short = reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"
    return DeadLetter(
        topic=topic,
        partition=partition,
        offset=offset,
        reason=short,
        original=raw[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
        original_bytes=len(raw),
        original_sha256=hashlib.sha256(raw).hexdigest(),
    )


_inbound = msgspec.json.Decoder(Inbound)
_outbound = msgspec.json.Decoder(Outbound)
_control: msgspec.json.Decoder[Control] = msgspec.json.Decoder(Control)
encode = msgspec.json.Encoder().encode


def encode_bounded(message: Inbound | Outbound | DeadLetter) -> bytes:
    """`encode`, refusing (OversizedEvent, one line) what a consumer would refuse as too big."""
    raw = encode(message)
    if len(raw) > MAX_EVENT_BYTES:
        event = getattr(message, "event", message)
        raise OversizedEvent(
            f"a {type(event).__name__} of replication {getattr(message, 'replication', '-')} "
            f"encodes to {len(raw)} bytes, over the {MAX_EVENT_BYTES}-byte limit"
        )
    return raw


def oversized(raw: bytes) -> str | None:
    """Why an incoming message is refused unread for its size, or None."""
    if len(raw) > MAX_EVENT_BYTES:
        return f"message of {len(raw)} bytes, over the {MAX_EVENT_BYTES}-byte limit"
    return None


def decode_inbound(raw: bytes) -> Inbound:
    return _inbound.decode(raw)


def decode_outbound(raw: bytes) -> Outbound:
    return _outbound.decode(raw)


def decode_control(raw: bytes) -> Control:
    return _control.decode(raw)
