"""Events that cross the transport between the simulated world and a strategy service.

msgspec structs: typed, immutable, cheap to build by the million and to encode as JSON for
Kafka. Each event carries an id so consumers can be idempotent.

The two built once per conversation, `Conversation` and `Response`, are `gc=False`: their fields
are all scalars, so they can never be part of a reference cycle, and the garbage collector need not
know them (msgspec then builds them faster and 16 bytes smaller). The option changes nothing on the
wire: it is not part of the encoding.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .vocabulary import Action, Department, Intent, Tone, TopicKind


class Conversation(msgspec.Struct, frozen=True, kw_only=True, tag="conversation", gc=False):
    id: str
    tick: int
    minute: float  # simulated minutes since the start when the customer posted
    customer: int
    segment: str
    topic: str
    topic_kind: TopicKind
    intent: Intent
    followers: int
    monthly_value_dollars: float


class Kpis(msgspec.Struct, frozen=True, kw_only=True):
    """What the brand can see of its own business at a tick close (sales dashboards exist)."""

    day: int  # current simulated day
    last_day_revenue_dollars: float  # revenue of day - 1 (0 on day 0)


class TickClosed(msgspec.Struct, frozen=True, kw_only=True, tag="tick_closed"):
    tick: int
    start_minute: float
    end_minute: float
    count: int  # conversations published for this tick
    kpis: Kpis
    final: bool = False  # the horizon ends with this tick: anything still waiting goes unanswered


class Response(msgspec.Struct, frozen=True, kw_only=True, tag="response", gc=False):
    id: str
    conversation_id: str
    customer: int
    tick: int  # tick in which the decision was made
    department: Department | Literal[""]  # department that finally acted ("" when unanswered)
    action: Action  # "none" means unanswered
    minute: float  # simulated minute the response was posted (or the conversation given up)
    delay_minutes: float
    handoffs: int
    pitched: bool
    tone: Tone  # the strategy's voice


class Broadcast(msgspec.Struct, frozen=True, kw_only=True, tag="broadcast"):
    id: str
    tick: int
    minute: float
    department: Department
    offer: bool
    targeting: dict[str, float]  # weight by segment, max 1


class TickDone(msgspec.Struct, frozen=True, kw_only=True, tag="tick_done"):
    tick: int
    responses: int
    broadcasts: int


class TickBatch(msgspec.Struct, frozen=True, kw_only=True):
    """One tick as the service sees it: its conversations, then the close marker."""

    conversations: list[Conversation]
    closed: TickClosed


class TickReply(msgspec.Struct, frozen=True, kw_only=True):
    """The service's answer to one tick, in canonical order."""

    responses: list[Response]
    broadcasts: list[Broadcast]
    done: TickDone
