"""One arm's world in one replication: turns candidates into posts, and responses into reactions.

It shares population, network and candidate conversations with the other arms (common random
numbers) and owns only its customers' state and its recorder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from socialsim.contracts.events import (
    Broadcast,
    Conversation,
    Kpis,
    Response,
    TickBatch,
    TickClosed,
    TickReply,
)
from socialsim.contracts.strategy import MAX_BROADCASTS_PER_TICK
from socialsim.contracts.timeunits import MINUTES_PER_DAY
from socialsim.contracts.vocabulary import ACTIONS, HELP_SEEKING, INTENTS, NEEDS, TOPIC_KINDS, need_of
from socialsim.contracts.world import World

from .arrays import Floats, Ids
from .audience import UNFOLLOW_REASONS, Audience
from .campaigns import broadcast
from .customers import I_CHATTER, I_COMPLAINT, I_PRAISE, Customers
from .exogenous import Candidates
from .measures import ArmState, segment_states, trust_and_nps_of
from .network import Network
from .population import Population
from .recorder import Recorder, SeriesRow
from .rng import Counter

# Each broadcast of a tick draws two streams of uniforms (reach, purchase) at an index of its own:
# tick * stride + 2k and + 2k + 1. The stride bounds the broadcasts one tick may carry; the
# strategy schema refuses rates that could exceed it, and this check makes sure none ever does.
_BROADCAST_STRIDE = 2 * MAX_BROADCASTS_PER_TICK


# Counter indices of the "audience" stream: who a lift study holds out, a conversation's
# unfollow uniform, and retelling uniforms per (post, follower) by origin of the post.
_HOLDOUT, _UNFOLLOW_AFTER_REPLY = 0, 1
_RETELL = {"voice": 2, "talk": 3, "reaction": 4}


def broadcast_draw_index(tick: int, k: int) -> int:
    """Counter index of broadcast `k` of `tick`, unique per (tick, k) while k < MAX_BROADCASTS_PER_TICK."""
    if not 0 <= k < MAX_BROADCASTS_PER_TICK:
        raise ValueError(
            f"broadcast {k} of tick {tick}: at most {MAX_BROADCASTS_PER_TICK} broadcasts per tick"
        )
    return tick * _BROADCAST_STRIDE + 2 * k


@dataclass(frozen=True)
class Shared:
    """What every arm of a replication shares: drawn once, read-only."""

    replication: int
    population: Population
    network: Network
    candidates: Candidates
    counter: Counter
    # each person's monthly spend rounded to cents as a conversation states it, by Python's round
    # (correctly rounded: numpy's round can differ in the last cent): once per replication rather
    # than per post (~0.3 us a person at setup) [$]
    _cents: Floats = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spend = self.population.monthly_spend.tolist()
        object.__setattr__(self, "_cents", np.array([round(x, 2) for x in spend]))

    def monthly_value_dollars(self, nodes: Ids) -> list[float]:
        """round(monthly spend, 2) of `nodes`."""
        values: list[float] = self._cents[nodes].tolist()
        return values


class ArmWorld:
    def __init__(self, world: World, shared: Shared, recorder: Recorder):
        self.world = world
        self.shared = shared
        self.rec = recorder
        self.customers = Customers(world, shared.population, shared.network)
        pop = shared.population
        everyone = np.arange(pop.size, dtype=np.int64)
        held_out = shared.counter.uniform("audience", _HOLDOUT, everyone) < (
            world.population.campaign_holdout_share
        )
        self.audience = Audience(world, pop, held_out)
        self.topics = list(world.topics)
        self.topic_kinds = [world.topics[t] for t in self.topics]
        self.topic_kind = np.array([TOPIC_KINDS.index(k) for k in self.topic_kinds])
        # need by (intent, topic kind): the vocabulary's one rule, tabled for vectorised lookup
        self.need = np.array([[NEEDS.index(need_of(i, k)) for k in TOPIC_KINDS] for i in INTENTS])
        self.segments = shared.population.segment_names
        q = world.reactions.action_quality
        self.quality = np.array([[q[n].get(a, 0.0) for a in ACTIONS] for n in NEEDS])
        self.discount = world.economics.offer_discount
        self.tone_multiplier = world.reactions.tone_trust_multiplier
        self._action_index = {a: k for k, a in enumerate(ACTIONS)}
        self._none, self._offer = ACTIONS.index("none"), ACTIONS.index("offer")
        self._seeks = [i in HELP_SEEKING for i in INTENTS]  # by intent index, as Python bools
        self._seeking = np.array(self._seeks)  # the same, for a tick's responses at once
        self._cursor = 0
        # (name, kind) by topic index, and "replication-": what a conversation's fields are made of
        self._topic_pairs = list(zip(self.topics, self.topic_kinds, strict=True))
        self._id_prefix = f"{shared.replication}-"
        self._pending: dict[str, int] = {}  # conversation id -> candidate index, until answered or given up
        initial = np.flatnonzero(self.audience.follows)
        self._lifecycle("follow", 0.0, 0, initial, "initial")
        self._lifecycle("holdout", 0.0, 0, initial[held_out[initial]])

    # ---- tick close: publish ----------------------------------------------------------------
    def close_tick(self, tick: int, start: float, end: float, day: int, final: bool) -> TickBatch:
        cand, pop = self.shared.candidates, self.shared.population
        stop = int(np.searchsorted(cand.minute, end, side="left"))
        idx = self.customers.keeps(self._cursor, stop, cand)
        self._cursor = stop
        convs = []
        nodes = cand.node[idx]
        ids, intents = idx.tolist(), cand.intent[idx].tolist()
        pending, prefix, topics, segments = self._pending, self._id_prefix, self._topic_pairs, self.segments
        for i, node, intent, topic, minute, segment, followers, spend in zip(
            ids,
            nodes.tolist(),
            intents,
            cand.topic[idx].tolist(),
            cand.minute[idx].tolist(),
            pop.segment[nodes].tolist(),
            pop.followers[nodes].tolist(),
            self.shared.monthly_value_dollars(nodes),
            strict=True,
        ):
            cid = prefix + str(i)
            name, kind = topics[topic]
            convs.append(
                Conversation(
                    id=cid,
                    tick=tick,
                    minute=minute,
                    customer=node,
                    segment=segments[segment],
                    topic=name,
                    topic_kind=kind,
                    intent=INTENTS[intent],
                    followers=followers,
                    monthly_value_dollars=spend,
                )
            )
            pending[cid] = i
        seeks = self._seeks
        self.rec.conversations_posted(convs, sum(seeks[i] for i in intents))
        self._public_posts(ids, intents, tick)
        kpis = Kpis(day=day, last_day_revenue_dollars=round(self.rec.revenue_on(day - 1), 6) if day else 0.0)
        closed = TickClosed(
            tick=tick, start_minute=start, end_minute=end, count=len(convs), kpis=kpis, final=final
        )
        return TickBatch(conversations=convs, closed=closed)

    def _public_posts(self, ids: list[int], intents: list[int], tick: int) -> None:
        """What followers see whatever the brand does: praise and complaints posted to the brand
        (voice), and chatter about it, which carries its author's view (talk). `ids` and `intents`
        are the tick's conversations' (few: sorted out in Python rather than by numpy calls)."""
        voice, said, chatter = [], [], []
        for i, intent in zip(ids, intents, strict=True):
            if intent in (I_PRAISE, I_COMPLAINT):
                voice.append(i)
                said.append(1 if intent == I_PRAISE else -1)
            elif intent == I_CHATTER:
                chatter.append(i)
        self._word_of_mouth(np.array(voice, dtype=np.int64), np.array(said, dtype=np.int64), tick, "voice")
        if chatter:
            talk = np.array(chatter, dtype=np.int64)
            valence = self.customers.talk_valence(self.shared.candidates.node[talk])
            spoke = valence != 0
            self._word_of_mouth(talk[spoke], valence[spoke], tick, "talk")

    def _word_of_mouth(self, idx: np.ndarray, valence: np.ndarray, tick: int, origin: str) -> None:
        if len(idx) == 0:
            return
        cand = self.shared.candidates
        nodes = cand.node[idx]
        counter, size = self.shared.counter, self.shared.population.size
        # the retelling uniform of (post k, follower f) is the counter's of id idx[k] * size + f
        reach = self.customers.hear(
            nodes, valence, counter.salted_key("audience", _RETELL[origin]), idx * size
        )
        segment = self.shared.population.segment[nodes]
        self.rec.word_of_mouth_posts(
            idx, cand.minute[idx], tick, nodes, segment, self.segments, valence, reach, origin
        )

    # ---- tick close: ingest -----------------------------------------------------------------
    def apply(self, reply: TickReply, tick: int) -> None:
        """Idempotent: a response to a conversation no longer pending (answered already, or
        given up) changes nothing, so a repeated reply or response is harmless."""
        pending, fresh, ids = self._pending, [], []
        for r in reply.responses:
            i = pending.pop(r.conversation_id, None)
            if i is not None:
                fresh.append(r)
                ids.append(i)
        if fresh:
            self._react(fresh, ids, tick)
        for k, b in enumerate(reply.broadcasts):
            self._broadcast(b, tick, k)

    def _react(self, responses: list[Response], ids: list[int], tick: int) -> None:
        """`ids`: the candidate index of each response's conversation."""
        cand, pop = self.shared.candidates, self.shared.population
        actions, tones = self._action_index, self.tone_multiplier
        # one pass over the responses for the fields the reactions read
        fields = [(actions[r.action], r.delay_minutes, r.pitched, tones[r.tone]) for r in responses]
        action_ids, delays, pitches, voices = zip(*fields, strict=True)
        idx = np.array(ids, dtype=np.int64)
        node, intent, topic = cand.node[idx], cand.intent[idx], cand.topic[idx]
        action = np.array(action_ids)
        need = self.need[intent, self.topic_kind[topic]]
        delay_of = np.array(delays)
        out = self.customers.react(
            node,
            intent,
            self.quality[need, action],
            delay_of,
            action != self._none,
            np.array(pitches, dtype=bool),
            np.array(voices),
            action == self._offer,
            cand.u_outcome[idx],
            cand.u_wom[idx],
            self.shared.counter.uniform("pitch", 0, idx),
            self.discount,
        )
        rec = self.rec
        rec.responses(
            int(np.count_nonzero(out.helped & self._seeking[intent])),
            delay_of[action != self._none].tolist(),
        )
        # rows only where something is recorded per response: every one when events are kept,
        # else only purchases (a few)
        rows = range(len(responses)) if rec.keep_events else np.flatnonzero(out.purchase_dollars > 0).tolist()
        segment, helped, trust = pop.segment[node].tolist(), out.helped.tolist(), out.trust_after.tolist()
        topics, intents, dollars, nodes = (
            topic.tolist(),
            intent.tolist(),
            out.purchase_dollars.tolist(),
            node.tolist(),
        )
        for k in rows:
            r, seg, i = responses[k], self.segments[segment[k]], intents[k]
            if rec.keep_events:
                rec.response_row(r, seg, self.topics[topics[k]], INTENTS[i], helped[k], trust[k])
            if dollars[k] > 0:
                pitch = r.pitched and INTENTS[i] != "purchase_intent"
                source = "offer" if r.action == "offer" else ("pitch" if pitch else "conversation")
                rec.purchase(
                    f"{r.id}:purchase", r.minute, tick, nodes[k], seg, dollars[k], source, r.conversation_id
                )
        spoke = np.flatnonzero(out.wom_valence != 0)
        self._word_of_mouth(idx[spoke], out.wom_valence[spoke], tick, "reaction")
        gone, reasons = self.audience.after_responses(
            node,
            out.annoyed,
            out.neglected,
            self.customers.fatigue,
            lambda: self.shared.counter.uniform("audience", _UNFOLLOW_AFTER_REPLY, idx),
        )
        self._unfollows(gone, reasons, (tick + 1) * float(self.world.horizon.tick_minutes), tick)

    def _broadcast(self, b: Broadcast, tick: int, k: int) -> None:
        pop = self.shared.population
        weights = np.array([b.targeting.get(s, 0.0) if b.targeting else 1.0 for s in self.segments])
        index, counter = broadcast_draw_index(tick, k), self.shared.counter
        keys = (counter.salted_key("broadcast", index), counter.salted_key("broadcast", index + 1))
        out = broadcast(self.customers, self.audience, weights, b.offer, keys, self.discount)
        self.rec.broadcast(b, out.reached, out.paid_reached)
        source = "offer" if b.offer else "campaign"
        self._unfollows(out.unfollowers, out.reasons, b.minute, tick)
        self._lifecycle("acquisition", b.minute, tick, out.newcomers, source)
        self._lifecycle("follow", b.minute, tick, self.audience.join(out.newcomers), "newcomer")
        buyers = np.concatenate([out.newcomers, out.buyers])
        dollars = np.concatenate([out.newcomer_dollars, out.dollars])
        for node, amount in zip(buyers.tolist(), dollars.tolist(), strict=True):
            self.rec.purchase(
                f"{b.id}:purchase:{node}",
                b.minute,
                tick,
                node,
                self.segments[pop.segment[node]],
                amount,
                source,
            )

    def _lifecycle(
        self, kind: str, minute: float, tick: int, nodes: np.ndarray, action: str | None = None
    ) -> None:
        segment = self.shared.population.segment[nodes]
        actions = None if action is None else [action] * len(nodes)
        self.rec.lifecycle(kind, minute, tick, nodes, segment, self.segments, actions)

    def _unfollows(self, nodes: np.ndarray, reasons: np.ndarray, minute: float, tick: int) -> None:
        why = [UNFOLLOW_REASONS[r] for r in reasons.tolist()]
        self.rec.lifecycle(
            "unfollow", minute, tick, nodes, self.shared.population.segment[nodes], self.segments, why
        )

    # ---- a day ends -------------------------------------------------------------------------
    def end_of_day(self, day: int, tick: int) -> None:
        """Deal-seekers who will not come back lapse before the day's bills; then bills, churn
        (whose followers' hazard rises) and acquisitions (who may follow the brand)."""
        pop = self.shared.population
        minute = (day + 1) * float(MINUTES_PER_DAY)
        lapsed = self.customers.lapse()
        self.audience.leave(lapsed)
        self._lifecycle("lapse", minute - 2e-6, tick, lapsed, "offer")
        due, amounts = self.customers.bill(day)
        self.rec.bills(day, minute - 1e-6, tick, due, pop.segment[due], self.segments, amounts)
        churned, acquired = self.customers.end_of_day()
        self.audience.leave(churned)
        self.audience.end_of_day(math.exp(-1.0 / self.world.reactions.fatigue_recovery_days))
        self._lifecycle("churn", minute, tick, churned)
        self._lifecycle("acquisition", minute, tick, acquired)
        self._lifecycle("follow", minute, tick, self.audience.join(acquired), "newcomer")

    def _trust_and_nps(self) -> tuple[np.ndarray, float, float]:
        active = self.customers.active()
        r = self.world.reactions
        return (active, *trust_and_nps_of(self.customers.trust, active, r.promoter_trust, r.detractor_trust))

    def state(self) -> ArmState:
        """The typed view outcomes and metrics read, with the same figures by segment."""
        active, trust, nps = self._trust_and_nps()
        pop, r = self.shared.population, self.world.reactions
        return ArmState(
            initial_customers=int(pop.is_customer.sum()),
            active_customers=len(active),
            trust=trust,
            nps=nps,
            clv_dollars=self.customers.clv_dollars(),
            record=self.rec,
            segments=segment_states(
                self.segments,
                pop.segment,
                pop.is_customer,
                active,
                self.customers.trust[active],
                pop.monthly_spend[active] * self.customers.spend_multiplier(active),
                self.rec,
                r.promoter_trust,
                r.detractor_trust,
            ),
        )

    def snapshot(self, tick: int, minute: float) -> SeriesRow:
        """One row of series.parquet: the cheap figures, taken every recorded tick (no CLV)."""
        active, trust, nps = self._trust_and_nps()
        return self.rec.snapshot(tick, minute, len(active), trust, nps)
