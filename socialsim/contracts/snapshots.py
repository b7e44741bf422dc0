"""A strategy service's snapshot of one stream, as stored on a run's snapshot topic.

What `state` holds is the strategy host's business (`services.host.StrategyService.restore`
reads it); where the stream's next tick begins (`generation`, `next_offset` in the stream's
partition of the conversations topic) is what a replacement needs to replay what followed.
Encoded as msgpack: the state is binary, and a float must come back bit for bit.
"""

from __future__ import annotations

import msgspec


class StreamSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    run: str
    replication: int
    arm: str
    day: int  # the simulated day whose last tick it covers
    tick: int  # that tick
    final: bool  # the stream's final tick: nothing follows
    generation: int  # the conversations topic generation where the next tick begins ...
    next_offset: int  # ... and its offset there, in partition `replication % partitions`
    state: bytes


encode_snapshot = msgspec.msgpack.Encoder().encode
decode_snapshot = msgspec.msgpack.Decoder(StreamSnapshot).decode
