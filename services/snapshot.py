"""A policy's state as bytes and back, so a replacement service continues a stream exactly.

Why explicit fields rather than pickle: snapshots travel on a Kafka topic anyone with access can
write to, and unpickling runs code. Why msgpack: floats round-trip bit for bit and dicts keep their
order, which the policy's arithmetic depends on (a sum over a dict is a sum in that order).

One conversation's `Item` may sit in a department queue and in the deadline heap at once, and the
policy relies on both holding the same object (marking it done in one hides it in the other), so
items are written once, by conversation id, and every heap refers to them by id. Heaps are
written as their lists (the deadline queue in its order), so every tie-break is kept as it was. A
department's posts not yet ready (the stream's arrivals and the heap of handovers) are written as
one sorted list, itself a heap, and restored as the heap of handovers: which of the two a post waits
in never changes what the queue returns (`DepartmentQueue`).

What is derived from the strategy (headcounts, agents' shares, configuration) is not written: the
restored policy is built from the strategy first, then its state is put back.
"""

from __future__ import annotations

from collections import defaultdict, deque
from operator import itemgetter
from typing import TYPE_CHECKING

import msgspec

from socialsim.contracts.events import Conversation
from socialsim.contracts.vocabulary import Department, Need

from .queues import Item, ready_entry

if TYPE_CHECKING:
    from .policy import Policy


class SnapshotMismatch(ValueError):
    """A snapshot that does not fit the strategy it is restored into."""


class _Item(msgspec.Struct, array_like=True):
    conversation: Conversation
    need: Need
    priority: float
    ready: float
    deadline: float
    handoffs: int
    done: bool


class _Queue(msgspec.Struct):
    free_at: list[float]  # per agent [minutes]
    staffed_minutes: float
    worked_minutes: float
    future: list[tuple[float, str]]  # heap of (ready minute, conversation id)
    ready: list[str]  # heap of conversation ids (their sort key is the item's)


class PolicyState(msgspec.Struct):
    items: list[_Item]
    queues: dict[Department, _Queue]
    deadlines: list[str]  # conversation ids in the order their deadlines come due
    volume_segment: dict[str, float]
    volume_topic: dict[str, float]
    volume_minute: float
    volume_factors: tuple[dict[str, float], dict[str, float]]
    revenue_days: list[float]
    revenue_seen_day: int
    tiers_seen: dict[int, float]
    tiers_sorted: list[float]
    tiers_cut: float
    pitch_credit: float
    broadcast_credit: float
    offer_credit: float
    seq: int


_encoder = msgspec.msgpack.Encoder()
_READY_ORDER = itemgetter(0, 1)  # (ready minute, conversation id): unique in a queue
_decoder = msgspec.msgpack.Decoder(PolicyState)


def capture(policy: Policy) -> bytes:
    """The policy's whole mutable state."""
    items: dict[str, Item] = {}
    for item in policy._deadlines._queue:
        items[item.conversation.id] = item
    queues = {}
    for dept, q in policy.queues.items():
        # posts not yet ready, from the stream or handed over, as one heap (a sorted list is one)
        future = sorted([(e[1], e[2], e[3]) for e in q._arrivals] + q._future, key=_READY_ORDER)
        for _, cid, item in future:
            items[cid] = item
        for entry in q._ready:
            items[entry[2]] = entry[3]
        queues[dept] = _Queue(
            free_at=[a.free_at for a in q.agents],
            staffed_minutes=q.staffed_minutes,
            worked_minutes=q.worked_minutes,
            future=[(ready, cid) for ready, cid, _ in future],
            ready=[entry[2] for entry in q._ready],
        )
    state = PolicyState(
        items=[
            _Item(i.conversation, i.need, i.priority, i.ready, i.deadline, i.handoffs, i.done)
            for i in items.values()
        ],
        queues=queues,
        deadlines=[item.conversation.id for item in policy._deadlines._queue],
        volume_segment=dict(policy.volume.segment),
        volume_topic=dict(policy.volume.topic),
        volume_minute=policy.volume._minute,
        volume_factors=policy.volume._factors,
        revenue_days=list(policy.revenue.days),
        revenue_seen_day=policy.revenue._seen_day,
        tiers_seen=dict(policy.tiers._seen),
        tiers_sorted=policy.tiers.ranked(),
        tiers_cut=policy.tiers._cut,
        pitch_credit=policy._pitch_credit,
        broadcast_credit=policy._broadcast_credit,
        offer_credit=policy._offer_credit,
        seq=policy._seq,
    )
    return _encoder.encode(state)


def put_back(policy: Policy, data: bytes) -> None:
    """Give a policy freshly built from its strategy the state `data` holds.

    Raises SnapshotMismatch if the state names departments or agents the strategy does not have,
    and msgspec.DecodeError if `data` is not a policy state."""
    state = _decoder.decode(data)
    if set(state.queues) != set(policy.queues):
        raise SnapshotMismatch(
            f"snapshot departments {sorted(state.queues)}, strategy {sorted(policy.queues)}"
        )
    items = {
        s.conversation.id: Item(
            conversation=s.conversation,
            need=s.need,
            priority=s.priority,
            ready=s.ready,
            deadline=s.deadline,
            handoffs=s.handoffs,
            done=s.done,
        )
        for s in state.items
    }
    try:
        _put_back(policy, state, items)
    except KeyError as exc:
        raise SnapshotMismatch(f"snapshot refers to conversation {exc} it does not hold") from None


def _put_back(policy: Policy, state: PolicyState, items: dict[str, Item]) -> None:
    for dept, qs in state.queues.items():
        q = policy.queues[dept]  # checked against the strategy above
        if len(qs.free_at) != len(q.agents):
            raise SnapshotMismatch(f"{dept}: snapshot has {len(qs.free_at)} agents, strategy {len(q.agents)}")
        for agent, free_at in zip(q.agents, qs.free_at, strict=True):
            agent.free_at = free_at
        q.staffed_minutes, q.worked_minutes = qs.staffed_minutes, qs.worked_minutes
        q._future = [(ready, cid, items[cid]) for ready, cid in qs.future]
        q._ready = [ready_entry(items[cid]) for cid in qs.ready]
    policy._deadlines._queue = deque(items[cid] for cid in state.deadlines)
    policy.volume.segment = defaultdict(float, state.volume_segment)
    policy.volume.topic = defaultdict(float, state.volume_topic)
    policy.volume._minute = state.volume_minute
    policy.volume._factors = state.volume_factors
    policy.revenue.days = state.revenue_days
    policy.revenue._seen_day = state.revenue_seen_day
    policy.tiers.put_back(state.tiers_seen, state.tiers_sorted, state.tiers_cut)
    policy._pitch_credit, policy._broadcast_credit = state.pitch_credit, state.broadcast_credit
    policy._offer_credit, policy._seq = state.offer_credit, state.seq
