"""Fuzz both ends of event ingestion in process: no broker, so volume is cheap.

    .venv/bin/python fuzz/events.py [-n 10000] [--seed 1]

Each try makes a clean stream of ticks, answers it with a real policy (the clean result), then
delivers it again shuffled, duplicated, forged, oversized or bit-flipped to either
`StrategyService.receive` (the service) or the transport's `ReplyLedger` (the simulator), exactly
as the Kafka code feeds them. A try ends one way:

* same     - the result equals the clean one (forgeries ignored or dead-lettered);
* refused  - a clean refusal: EventConflict / ReplyConflict, or a tick the transport fails after
             its short grace (counts met only by replies to conversations never sent);
* traceback - any other exception;
* hang     - no refusal, but a tick never completes (a real run would wait for its timeout);
* altered  - no refusal, and a result that differs from the clean one.

Prints the counts and exits 1 unless the last three are all zero. The property tests in
tests/unit/test_event_meaning.py drive the same two harnesses with hypothesis.
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from services.host import EventConflict, Record, StrategyService  # noqa: E402
from services.policy import Policy  # noqa: E402
from socialsim.configload import STRATEGY_DIR, load_strategy  # noqa: E402
from socialsim.contracts.events import (  # noqa: E402
    Conversation,
    Kpis,
    Response,
    TickBatch,
    TickClosed,
    TickReply,
)
from socialsim.contracts.strategy import Strategy  # noqa: E402
from socialsim.contracts.vocabulary import INTENTS, TOPIC_KINDS  # noqa: E402
from socialsim.contracts.wire import (  # noqa: E402
    MAX_EVENT_BYTES,
    FromService,
    Inbound,
    Outbound,
    ToService,
    encode,
)
from socialsim.kafka.replies import ReplyConflict, ReplyLedger  # noqa: E402

RUN, ARM = "fuzz-run", "comms-led"
TICK_MINUTES = 60.0  # [minutes] as in the shipped scenarios
TOPIC = f"{RUN}.{ARM}.conversations.0"
OUTCOMES = ("same", "refused", "traceback", "hang", "altered")


@functools.cache
def strategy() -> Strategy:
    return load_strategy(STRATEGY_DIR / f"{ARM}.yaml", {})


def make_ticks(rng: random.Random, ticks: int, most: int) -> list[TickBatch]:
    """A clean stream: `ticks` ticks of up to `most` conversations each, the last one final."""
    out, serial = [], 0
    for t in range(ticks):
        convs = []
        for _ in range(rng.randint(0, most)):
            serial += 1
            convs.append(
                Conversation(
                    id=f"{ARM}:c:{serial}",
                    tick=t,
                    minute=t * TICK_MINUTES + rng.uniform(0, TICK_MINUTES - 1),
                    customer=serial,
                    segment=rng.choice(["mass", "premium"]),
                    topic=rng.choice(["fees", "app"]),
                    topic_kind=rng.choice(TOPIC_KINDS),
                    intent=rng.choice(INTENTS),
                    followers=rng.randint(0, 5000),
                    monthly_value_dollars=round(rng.uniform(0, 200), 2),
                )
            )
        closed = TickClosed(
            tick=t,
            start_minute=t * TICK_MINUTES,
            end_minute=(t + 1) * TICK_MINUTES,
            count=len(convs),
            kpis=Kpis(day=0, last_day_revenue_dollars=0.0),
            final=t == ticks - 1,
        )
        out.append(TickBatch(conversations=convs, closed=closed))
    return out


def events(reply: TickReply) -> list[FromService]:
    """A reply's events in the order a service publishes them."""
    return [*reply.responses, *reply.broadcasts, reply.done]


def messages(batch: TickBatch) -> list[ToService]:
    """A tick's events in the order the simulator publishes them."""
    return [*batch.conversations, batch.closed]


def clean_replies(batches: list[TickBatch]) -> list[Outbound]:
    """What the policy answers, in the order the service publishes it."""
    policy = Policy(strategy(), ARM)
    out = []
    for batch in batches:
        reply = policy.handle(batch)
        for event in events(reply):
            out.append(Outbound(run=RUN, replication=0, event=event))
    return out


@dataclass
class Outcome:
    kind: str
    detail: str = ""


# ---- the service side ----------------------------------------------------------------------------
def inbound(batches: list[TickBatch]) -> list[list[bytes]]:
    """Each tick's messages as the simulator publishes them."""
    return [[encode(Inbound(run=RUN, replication=0, event=e)) for e in messages(b)] for b in batches]


def serve(deliveries: list[list[bytes]], expected: list[Outbound]) -> Outcome:
    """Feed the service one consumer batch per tick; compare replication 0's replies with `expected`."""
    service = StrategyService(strategy(), ARM, RUN)
    got: list[Outbound] = []
    try:
        for tick, values in enumerate(deliveries):
            records = [Record(TOPIC, 0, tick * 10_000 + i, v) for i, v in enumerate(values)]
            got += [o for o in service.receive(records).outbound if o.replication == 0]
    except EventConflict as exc:
        return Outcome("refused", str(exc))
    except Exception:
        return Outcome("traceback", traceback.format_exc(limit=-3))
    if got == expected:
        return Outcome("same")
    if got == expected[: len(got)]:
        return Outcome("hang", f"{len(got)} of {len(expected)} replies, then nothing")
    return Outcome("altered", "replies differ from the clean run's")


# ---- the simulator side --------------------------------------------------------------------------
def collect(batches: list[TickBatch], deliveries: list[list[bytes]], expected: list[Outbound]) -> Outcome:
    """Feed the ledger as the transport does: per tick, messages one by one until the tick is complete;
    what is left arrives during the next tick (and, after the final one, while the transport settles)."""
    ledger = ReplyLedger(RUN)
    ledger.open([0])
    got: list[Outbound] = []
    late: list[bytes] = []
    try:
        for batch, values in zip(batches, deliveries, strict=True):
            ledger.sent({(0, ARM): batch})
            queue, late = late + values, []
            while queue and not ledger.complete():
                ledger.read(queue.pop(0), ARM)
            if not ledger.complete():
                if ledger.unsettled():
                    return Outcome("refused", ledger.unsettled()[0])
                return Outcome("hang", f"tick {batch.closed.tick}: {ledger.progress()}")
            reply = ledger.replies()[(0, ARM)]
            for event in events(reply):
                got.append(Outbound(run=RUN, replication=0, event=event))
            late = queue
        for value in late:  # the final tick's settling
            ledger.read(value, ARM)
    except ReplyConflict as exc:
        return Outcome("refused", str(exc))
    except Exception:
        return Outcome("traceback", traceback.format_exc(limit=-3))
    return Outcome("same") if got == expected else Outcome("altered", "replies differ from the clean run's")


def outbound(expected: list[Outbound], batches: list[TickBatch]) -> list[list[bytes]]:
    """Each tick's replies as a service publishes them."""
    per_tick: list[list[bytes]] = [[] for _ in batches]
    for o in expected:
        per_tick[o.event.tick].append(encode(o))
    return per_tick


# ---- forgeries -----------------------------------------------------------------------------------
def _flip(rng: random.Random, value: bytes) -> bytes:
    i = rng.randrange(len(value))
    return value[:i] + bytes([value[i] ^ (1 << rng.randrange(7))]) + value[i + 1 :]


def _oversized(value: bytes) -> bytes:
    return value[:-1] + b', "pad": "' + b"x" * (MAX_EVENT_BYTES + 1) + b'"}'


def _retyped(value: bytes, field: bytes, to: bytes) -> bytes:
    """The same event with one vocabulary field set to a word outside the vocabulary."""
    head, sep, tail = value.partition(b'"' + field + b'":"')
    return head + sep + to + tail[tail.index(b'"') :] if sep else value


def forge_inbound(rng: random.Random, tick: int, values: list[bytes], batches: list[TickBatch]) -> bytes:
    """One forged message for the service during `tick`."""
    genuine = rng.choice(values)
    later = batches[min(tick + rng.randint(1, 3), len(batches) - 1)].closed.tick + 1
    extra = Conversation(
        id=f"forged-{rng.random()}",
        tick=rng.choice([tick, later, tick - 1]),
        minute=tick * TICK_MINUTES,
        customer=10**6,
        segment="mass",
        topic="fees",
        topic_kind="account",
        intent="complaint",
        followers=1,
        monthly_value_dollars=1.0,
    )
    marker = batches[tick].closed
    kinds: list[Callable[[], bytes]] = [
        lambda: _flip(rng, genuine),
        lambda: _oversized(genuine),
        lambda: _retyped(genuine, b"intent", b"shout"),
        lambda: b"\x00\xffnot json",
        lambda: encode(Inbound(run=RUN, replication=0, event=extra)),
        lambda: encode(Inbound(run=RUN, replication=rng.choice([-1, 10**6, 7]), event=extra)),
        lambda: encode(Inbound(run="other", replication=0, event=extra)),
        lambda: encode(Inbound(run=RUN, replication=0, event=_recount(marker, rng))),
    ]
    return rng.choice(kinds)()


def _recount(marker: TickClosed, rng: random.Random) -> TickClosed:
    return TickClosed(
        tick=marker.tick,
        start_minute=marker.start_minute,
        end_minute=marker.end_minute,
        count=max(0, marker.count + rng.choice([-1, 1, 5])),
        kpis=marker.kpis,
        final=marker.final,
    )


def forge_outbound(rng: random.Random, tick: int, values: list[bytes], batches: list[TickBatch]) -> bytes:
    """One forged message for the simulator during `tick`."""
    genuine = rng.choice(values)
    sent = [c for b in batches[: tick + 1] for c in b.conversations]
    target = rng.choice(sent) if sent else None

    def response(conversation_id: str, customer: int, at: int, action: str = "acknowledge") -> bytes:
        r = Response(
            id=f"forged-{rng.random()}",
            conversation_id=conversation_id,
            customer=customer,
            tick=at,
            department="comms",
            action=action,  # type: ignore[arg-type]
            minute=at * TICK_MINUTES,
            delay_minutes=1.0,
            handoffs=0,
            pitched=False,
            tone="neutral",
        )
        return encode(Outbound(run=RUN, replication=rng.choice([0, 0, 0, 3]), event=r))

    kinds: list[Callable[[], bytes]] = [
        lambda: _flip(rng, genuine),
        lambda: _oversized(genuine),
        lambda: _retyped(genuine, b"action", b"bribe"),
        lambda: _retyped(genuine, b"tone", b"shouting"),
        lambda: _retyped(genuine, b"department", b"legal"),
        lambda: b'{"run": "x", "shape": "wrong"}',
        lambda: response("never-sent", 1, tick),
        lambda: response("never-sent", 1, tick + rng.randint(1, 3)),
    ]
    if target is not None:
        kinds.append(lambda: response(target.id, target.customer, tick, rng.choice(["resolve", "none"])))
    return rng.choice(kinds)()


def deliver(
    rng: random.Random,
    clean: list[list[bytes]],
    batches: list[TickBatch],
    forge: Callable[[random.Random, int, list[bytes], list[TickBatch]], bytes],
    forgeries: float,
) -> list[list[bytes]]:
    """The clean stream shuffled within each tick, with duplicates and about `forgeries` forged
    messages per tick inserted anywhere in it."""
    out = []
    for tick, values in enumerate(clean):
        tick_values = list(values)
        tick_values += [rng.choice(values) for _ in range(rng.randint(0, 2))] if values else []
        while values and rng.random() < forgeries / (1 + forgeries):
            tick_values.append(forge(rng, tick, values, batches))
        rng.shuffle(tick_values)
        out.append(tick_values)
    return out


def one_try(rng: random.Random) -> Outcome:
    batches = make_ticks(rng, rng.randint(1, 6), rng.randint(0, 6))
    expected = clean_replies(batches)
    forgeries = rng.choice([0.0, 0.3, 1.0])
    if rng.random() < 0.5:
        return serve(deliver(rng, inbound(batches), batches, forge_inbound, forgeries), expected)
    return collect(
        batches, deliver(rng, outbound(expected, batches), batches, forge_outbound, forgeries), expected
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="event streams to try [default 10000]")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for _ in range(args.n):
        outcome = one_try(rng)
        counts[outcome.kind] += 1
        examples.setdefault(outcome.kind, outcome.detail)
    print(
        f"tried {args.n}: same {counts['same']}, refused cleanly {counts['refused']}, "
        f"tracebacks {counts['traceback']}, hangs {counts['hang']}, altered results {counts['altered']}"
    )
    bad = [k for k in ("traceback", "hang", "altered") if counts[k]]
    for kind in bad:
        print(f"first {kind}: {examples[kind]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
