"""A strategy as a pure, deterministic policy: (a tick's conversations, own state, parameters) -> decisions.

No I/O, no clock, no random numbers: the in-process transport and the Kafka service call this
same object, which is what makes their results identical. Its only inputs are the events it is
handed, in the canonical order it imposes itself.
"""

from __future__ import annotations

from operator import attrgetter, lt
from typing import Literal

from socialsim.contracts.events import Broadcast, Conversation, Response, TickBatch, TickDone, TickReply
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.vocabulary import (
    CAPABILITIES,
    FALLBACK,
    IDEAL_ACTION,
    Action,
    Department,
    Intent,
    Need,
    Tone,
    TopicKind,
    need_of,
)

from . import snapshot
from .queues import Deadlines, DepartmentLoad, DepartmentQueue, Item
from .signals import RevenueWatch, TalkVolume, ValueTiers

_EPS = 1e-9  # rates accumulate as floats: 5/7 added 7 times must make 5 whole broadcasts
# Share of an action's handle time its agent spends after the reply is posted: logging the case,
# tagging it, closing it (after-contact work). The reply goes out when it is written, the agent is
# free only when the whole handle time is done [fraction].
AFTER_REPLY_SHARE = 0.4
# The canonical orders: conversations as they are admitted, responses as they are returned.
CANONICAL = attrgetter("minute", "id")
RESPONSE_ORDER = attrgetter("minute", "conversation_id")
MINUTE = attrgetter("minute")
# What admitting a conversation of one intent, segment, topic and topic kind needs: the product of
# the configured priority factors, the need, and the first department (None: not answered).
Admission = tuple[float, Need, Department | None]


def canonical(conversations: list[Conversation]) -> list[Conversation]:
    """`conversations` in `CANONICAL` order. The world publishes a tick in that order already: a
    list strictly ordered by minute (the id never breaks a tie) is returned as it is (not copied: a
    policy only reads it), one float comparison a post instead of a sort on (minute, id) tuples.
    (Not worth it for responses: agents starting together post at the same minute, so a tick's
    responses are often tied or out of order.)"""
    minutes = list(map(MINUTE, conversations))
    if all(map(lt, minutes, minutes[1:])):
        return conversations
    return sorted(conversations, key=CANONICAL)


def response(
    arm: str,
    item: Item,
    tick: int,
    dept: Department | Literal[""],
    action: Action,
    minute: float,
    pitched: bool,
    tone: Tone,
) -> Response:
    """The decision on `item` as the event the world reacts to (action "none": given up)."""
    c = item.conversation
    return Response(
        id=f"{arm}:r:{c.id}",
        conversation_id=c.id,
        customer=c.customer,
        tick=tick,
        department=dept,
        action=action,
        minute=minute,
        delay_minutes=minute - c.minute,
        handoffs=item.handoffs,
        pitched=pitched,
        tone=tone,
    )


class Policy:
    def __init__(self, strategy: Strategy, arm: str):
        self.s = strategy
        self.arm = arm
        self.queues = {
            d: DepartmentQueue(d, strategy.staff_hours_per_day.get(d, 0.0) / strategy.shift.hours)
            for d in strategy.departments
        }
        self.volume = TalkVolume(strategy.listening)
        self.revenue = RevenueWatch(strategy.panic)
        self.tiers = ValueTiers(strategy.tiering)
        self._deadlines = Deadlines()
        self._pitch_credit = 0.0
        self._broadcast_credit = 0.0
        self._offer_credit = 0.0
        self._seq = 0
        # Per-run constants, looked up per conversation: filled on first use (see `_admission`, `_plan`).
        self._admissions: dict[tuple[str, str, str, str], Admission] = {}
        self._plans: dict[tuple[Department, Need], tuple[Department | None, Action]] = {}
        self._wait_minutes = strategy.max_wait_hours * 60.0

    def load(self) -> dict[Department, DepartmentLoad]:
        """How loaded each department is now: what an operations view reads, never the queues themselves."""
        return {d: q.load() for d, q in self.queues.items()}

    # ---- one tick -------------------------------------------------------------------------
    def handle(self, batch: TickBatch) -> TickReply:
        closed = batch.closed
        conversations = canonical(batch.conversations)
        self.volume.observe(conversations, closed.end_minute)
        self.revenue.observe(closed.kpis)
        self.tiers.observe(conversations)
        self._admit_all(conversations)
        responses: list[Response] = []
        open_, close, shift_start = self._shift_window(closed.start_minute, closed.end_minute)
        if open_ < close:  # else nobody is on shift during this tick
            for dept in self.queues:
                self._serve(dept, closed.tick, open_, close, shift_start, responses)
        self._expire(closed.tick, closed.end_minute, closed.final, responses)
        broadcasts = self._broadcasts(closed.tick, closed.start_minute, closed.end_minute)
        responses.sort(key=RESPONSE_ORDER)
        return TickReply(
            responses=responses,
            broadcasts=broadcasts,
            done=TickDone(tick=closed.tick, responses=len(responses), broadcasts=len(broadcasts)),
        )

    # ---- triage -----------------------------------------------------------------------------
    def priority(self, c: Conversation) -> float:
        p = self.s.priorities
        return (
            p.intent.get(c.intent, 1.0)
            * p.segment.get(c.segment, 1.0)
            * p.topic.get(c.topic, 1.0)
            * self.volume.segment_factor(c.segment)
            * self.volume.topic_factor(c.topic)
            * self.tiers.boost(c)
        )

    def _admit_all(self, conversations: list[Conversation]) -> None:
        """`priority` and the routing of each conversation (in canonical order), with what is
        constant over a run looked up once per kind of conversation (`_admission`) and the factors
        multiplied in `priority`'s order, so every priority is the same float. Each department gets
        its arrivals, and the deadlines theirs, as one batch in the order written."""
        listening, tiering = self.volume.cfg.enabled, self.tiers.cfg.enabled
        (segment_factors, silent_segment), (topic_factors, silent_topic) = self.volume.tables()
        boost = self.tiers.boost
        admissions, wait = self._admissions, self._wait_minutes
        admitted: list[Item] = []
        arrivals: dict[Department, list[Item]] = {d: [] for d in self.queues}
        for c in conversations:
            intent, segment, topic, kind = c.intent, c.segment, c.topic, c.topic_kind
            admission = admissions.get((intent, segment, topic, kind))
            if admission is None:
                admission = admissions[(intent, segment, topic, kind)] = self._admission(
                    intent, segment, topic, kind
                )
            p, need, first = admission
            # x * 1.0 == x exactly: a factor that is 1 by configuration is skipped, not multiplied
            if listening:
                p = p * segment_factors.get(segment, silent_segment) * topic_factors.get(topic, silent_topic)
            if tiering:
                p = p * boost(c)
            minute = c.minute
            item = Item(c, need, p, minute, minute + wait)
            admitted.append(item)
            if first is not None:
                arrivals[first].append(item)
        self._deadlines.watch_all(admitted)
        for dept, items in arrivals.items():
            if items:
                self.queues[dept].arrive(items)

    def _admission(self, intent: Intent, segment: str, topic: str, kind: TopicKind) -> Admission:
        """What is the same for every conversation of this intent, segment, topic and topic kind:
        the product of the configured priority factors, the need, and the first department."""
        p = self.s.priorities
        static = p.intent.get(intent, 1.0) * p.segment.get(segment, 1.0) * p.topic.get(topic, 1.0)
        return static, need_of(intent, kind), self._route(intent)

    def _route(self, intent: str) -> Department | None:
        """The first department for `intent`, or None if the strategy does not answer it (only the
        deadline will report it)."""
        if self.s.priorities.intent.get(intent, 1.0) <= 0:
            return None
        first = self.s.routing.get(intent, self.s.captain)
        return first if self.queues[first].headcount > 0 else self.s.captain

    def _plan(self, dept: Department, need: Need) -> tuple[Department | None, Action]:
        """What `dept` does with a post of `need` that was not handed over yet: the department to
        hand it to (the first other staffed one able to take the ideal action), if `dept` cannot
        take that action itself, and otherwise the best action it can take."""
        ideal = IDEAL_ACTION[need]
        target = None
        if ideal not in CAPABILITIES[dept]:
            for other, q in self.queues.items():
                if other != dept and q.headcount > 0 and ideal in CAPABILITIES[other]:
                    target = other
                    break
        return target, next(a for a in FALLBACK[need] if a in CAPABILITIES[dept])

    # ---- service ----------------------------------------------------------------------------
    def _shift_window(self, start: float, end: float) -> tuple[float, float, float]:
        """This tick's staffed part [open, close) and the day's shift start [minutes]."""
        shift_start = (start // 1440.0) * 1440.0 + self.s.shift.start_hour * 60.0
        return max(start, shift_start), min(end, shift_start + self.s.shift.hours * 60.0), shift_start

    def _serve(
        self, dept: Department, tick: int, open_: float, close: float, shift_start: float, out: list[Response]
    ) -> None:
        """Let `dept` work this tick's staffed part [open_, close) (`_shift_window`)."""
        q = self.queues[dept]
        if q.headcount <= 0:
            return

        plans, pitch_minutes, arm, tone = self._plans, self.s.pitch_minutes, self.arm, self.s.tone
        handle_minutes, handoff_minutes = self.s.handle_minutes, self.s.handoff_minutes

        def work(item: Item, now: float) -> float:
            """One agent's handling of `item` from `now`: its agent time [minutes]."""
            plan = plans.get((dept, item.need))
            if plan is None:
                plan = plans[(dept, item.need)] = self._plan(dept, item.need)
            target, action = plan
            if target is not None and not item.handoffs:  # triage, then pass it on
                minutes = handle_minutes.get("acknowledge", 0.0)
                item.handoffs += 1
                item.ready = now + minutes + handoff_minutes
                self.queues[target].push(item)
                return minutes
            pitched = self._pitch(dept, item)
            minutes = handle_minutes.get(action, 0.0) + (pitch_minutes if pitched else 0.0)
            item.done = True
            posted = now + minutes * (1.0 - AFTER_REPLY_SHARE)
            out.append(response(arm, item, tick, dept, action, posted, pitched, tone))
            return minutes

        q.serve(open_, close, shift_start, work)

    def _pitch(self, dept: Department, item: Item) -> bool:
        """Marketing adds a sales pitch to a share of what it handles that did not ask to buy."""
        if dept != "marketing" or item.conversation.intent == "purchase_intent" or self.s.pitch_rate <= 0:
            return False
        boost = self.s.panic.pitch_boost if self.revenue.panicking else 1.0
        self._pitch_credit += min(1.0, self.s.pitch_rate * boost)
        if self._pitch_credit >= 1.0 - _EPS:
            self._pitch_credit -= 1.0
            return True
        return False

    def _expire(self, tick: int, end: float, final: bool, out: list[Response]) -> None:
        arm, tone = self.arm, self.s.tone
        out.extend(
            [
                response(arm, item, tick, "", "none", minute, False, tone)
                for item, minute in self._deadlines.due(end, final)
            ]
        )

    # ---- broadcasts -------------------------------------------------------------------------
    def _broadcasts(self, tick: int, start: float, end: float) -> list[Broadcast]:
        b = self.s.broadcasts
        day0 = (start // 1440.0) * 1440.0
        at = day0 + b.hour * 60.0
        if b.per_week <= 0 or not (start <= at < end):
            return []
        boost = self.s.panic.broadcast_boost if self.revenue.panicking else 1.0
        self._broadcast_credit += b.per_week * boost / 7.0
        out = []
        while self._broadcast_credit >= 1.0 - _EPS:
            self._broadcast_credit -= 1.0
            self._offer_credit += b.offer_share
            offer = self._offer_credit >= 1.0 - _EPS
            if offer:
                self._offer_credit -= 1.0
            self._seq += 1
            dept = "marketing" if "marketing" in self.queues else self.s.captain
            out.append(
                Broadcast(
                    id=f"{self.arm}:b:{self._seq}",
                    tick=tick,
                    minute=at,
                    department=dept,
                    offer=offer,
                    targeting=self._targeting(),
                )
            )
        return out

    def _targeting(self) -> dict[str, float]:
        """Who a campaign is aimed at: the strategy's beliefs, re-weighted by listening when enabled."""
        segments = set(self.s.broadcasts.targeting) | set(self.volume.segment)
        if not segments:
            return {}
        raw = {
            s: self.s.broadcasts.targeting.get(s, 0.0 if self.s.broadcasts.targeting else 1.0)
            * self.volume.segment_factor(s)
            for s in sorted(segments)
        }
        top = max(raw.values())
        return {s: (w / top if top > 0 else 0.0) for s, w in raw.items()}

    # ---- snapshot and restore (services/snapshot.py): a replacement service continues exactly ----
    def snapshot(self) -> bytes:
        """Everything this policy has learned and holds, as bytes (`Policy.restore` reads them)."""
        return snapshot.capture(self)

    @classmethod
    def restore(cls, strategy: Strategy, arm: str, state: bytes) -> Policy:
        """The policy whose `snapshot()` gave `state`, for the same strategy and arm."""
        policy = cls(strategy, arm)
        snapshot.put_back(policy, state)
        return policy
