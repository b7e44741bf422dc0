"""Customer state and the rules by which people react. Numpy over arrays, a tick's loops compiled
(`kernels`: thinning, reactions, word of mouth), and so is the end of a day (`daily`: fading,
drift, churn, acquisitions, bills); no I/O, no clock.

One arm owns one `Customers`. Every rule takes its randomness as arguments (uniforms drawn per
conversation or per (stream, index, person)), so the same person meets the same luck in every arm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from socialsim.contracts.timeunits import BILLING_CYCLE_DAYS, DAYS_PER_YEAR, MONTHS_PER_YEAR
from socialsim.contracts.vocabulary import INTENTS
from socialsim.contracts.world import World

from . import daily, kernels
from .arrays import Bools, Floats, Ids, Int8s, Int16s, Int32s, Int64s
from .exogenous import Candidates, max_rate_multiplier
from .network import Network
from .population import Population

PROSPECT, CUSTOMER, CHURNED = 0, 1, 2
CODES = (PROSPECT, CUSTOMER, CHURNED)  # as the compiled end of day (`daily`) takes them
# Node ids are int32 (the network's follower ids, the candidates' authors, the kept lists of customers
# and prospects below: every arm holds its own) [people]
MAX_PEOPLE = int(np.iinfo(np.int32).max)
I_QUESTION, I_COMPLAINT, I_PRAISE, I_PURCHASE, I_CHATTER = (INTENTS.index(i) for i in INTENTS)


@dataclass
class Reaction:
    """What a tick's responses did, per response (aligned arrays)."""

    helped: Bools
    purchase_dollars: Floats  # 0 where no purchase
    trust_after: Floats
    wom_valence: Int8s  # +1 praise posted, -1 criticism posted, 0 nothing
    annoyed: Bools  # got a pitch without asking
    neglected: Bools  # asked for help and got no answer


@dataclass(frozen=True)
class PerPerson:
    """A segment's figure, read per person. Held once per segment rather than once per person:
    every arm of every replication holds its own `Customers`, so a per-person copy would cost
    8 bytes x people x arms x replications in flight."""

    by_segment: Floats
    segment: Int16s

    def __getitem__(self, nodes: Ids) -> Floats:
        values: Floats = self.by_segment[self.segment[nodes]]
        return values


class Customers:
    def __init__(self, world: World, pop: Population, network: Network):
        if pop.size > MAX_PEOPLE:
            raise ValueError(
                f"world.population: {pop.size:,} people; at most {MAX_PEOPLE:,} (int32 node ids)"
            )
        self.w = world
        self.r = world.reactions
        self.pop = pop
        self.net = network
        seg = pop.segment
        segs = list(world.segments.values())
        self.baseline = pop.baseline_trust
        self.service = PerPerson(np.array([s.service_sensitivity for s in segs], dtype=np.float64), seg)
        self.promotion = PerPerson(np.array([s.promotion_sensitivity for s in segs], dtype=np.float64), seg)
        self.churn_per_day = PerPerson(
            np.array([s.churn_per_year for s in segs], dtype=np.float64) / DAYS_PER_YEAR, seg
        )
        self.purchase_value = PerPerson(np.array([s.purchase_dollars for s in segs], dtype=np.float64), seg)
        self.status: Int8s = np.where(pop.is_customer, CUSTOMER, PROSPECT).astype(np.int8)
        self.trust: Floats = self.baseline.copy()
        self.comeback: Floats = np.ones(pop.size)
        self.fatigue: Floats = np.zeros(pop.size)
        self.churn_cum: Floats = np.zeros(pop.size)
        self.acq_cum: Floats = np.zeros(pop.size)
        # churned close ties: each churned followee counts as the chance the link is a close tie,
        # min(1, close_ties / the larger of the follower's followees and the churner's followers)
        # (a link to an account with a crowd of followers is rarely a close tie)
        self.churned_followees: Floats = np.zeros(pop.size)
        self.followees: Int32s = network.followees  # shared by the arms: read-only
        self._lapsing: list[Ids] = []  # newcomers by an offer who will not come back
        self.deal_seeker: Bools = np.zeros(pop.size, dtype=bool)  # lapsed: only an offer brings them back
        self.max_mult = max_rate_multiplier(world)
        # customers and prospects now, kept because status changes only at the end of a day
        self._active: Int32s | None = None
        self._prospects: Int32s | None = None

    # ---- who posts ------------------------------------------------------------------------
    def keeps(self, first: int, stop: int, cand: Candidates) -> Int64s:
        """Thinning: the candidates first..stop-1 this arm's state turns into real posts (indices,
        ascending). Compiled (`kernels.kept`): a tick has a few dozen candidates, too few for numpy's
        per-call cost."""
        return kernels.kept(
            first,
            stop,
            (cand.node, cand.intent, cand.u),
            (I_QUESTION, I_COMPLAINT, I_PRAISE),
            (self.status, self.comeback, self.trust, self.baseline),
            self.max_mult,
        )

    # ---- responses ------------------------------------------------------------------------
    def react(
        self,
        node: Ids,
        intent: Int8s,
        quality: Floats,
        delay: Floats,
        answered: Bools,
        pitched: Bools,
        tone: Floats,
        offer: Bools,
        u_outcome: Floats,
        u_wom: Floats,
        u_pitch: Floats,
        discount: float,
    ) -> Reaction:
        """What a tick's responses do to the people who get them (aligned arrays, one per response).
        Compiled (`kernels.react`) but for the decay of help with delay, whose power numpy takes."""
        r = self.r
        decay = np.power(0.5, delay / r.help_half_life_minutes)
        helped, dollars, trust_after, valence, annoyed, neglected = kernels.react(
            (node, intent, quality, decay, answered, pitched, tone, offer),
            (u_outcome, u_wom, u_pitch),
            (I_QUESTION, I_COMPLAINT, I_PURCHASE),
            (
                r.complaint_weight,
                r.trust_gain_helped,
                r.trust_loss_unhelped,
                r.trust_loss_ignored,
                r.trust_gain_acknowledged,
                r.pitch_annoyance,
                r.comeback_cap,
                1 + r.comeback_uplift,
                r.purchase_conversion_unanswered,
                r.purchase_conversion_helped,
                r.pitch_conversion,
                1.0 - discount,
                r.advocacy_after_help,
                r.rant_after_neglect,
            ),
            (
                self.pop.segment,
                self.service.by_segment,
                self.promotion.by_segment,
                self.purchase_value.by_segment,
            ),
            (self.trust, self.fatigue, self.comeback),
        )
        return Reaction(
            helped=helped,
            purchase_dollars=dollars,
            trust_after=trust_after,
            wom_valence=valence,
            annoyed=annoyed,
            neglected=neglected,
        )

    # ---- word of mouth --------------------------------------------------------------------
    def talk_valence(self, nodes: Ids) -> Int8s:
        """What a customer's chatter about the brand says to their followers: promoters recommend
        (+1), detractors warn (-1), passives say nothing that moves anyone (0). This is the NPS
        reading of trust, and why positive word of mouth outnumbers negative where most
        customers are satisfied (East, Hammond & Wright 2007)."""
        t = self.trust[nodes]
        return np.where(t >= self.r.promoter_trust, 1, np.where(t < self.r.detractor_trust, -1, 0)).astype(
            np.int8
        )

    def hear(self, authors: Ids, valence: Ids, salted: np.uint64, post_ids: Int64s) -> Int64s:
        """Followers of each author see the post, and some retell it to their own followers, so
        that a post reaches its author's followers about `retelling_*` times over (bad
        experiences travel further). Returns the reach of each post, retellings included [people].
        The retelling uniform of (post k, follower f) is the counter's of id `post_ids[k] + f` in
        the draw `salted` (`Counter.salted_key`). Compiled (`kernels.hear`): a tick's posts are too
        few for numpy's per-call cost."""
        r = self.r
        return kernels.hear(
            authors,
            valence,
            post_ids,
            salted,
            (r.retelling_positive, r.retelling_negative),
            (r.wom_trust_effect, r.wom_acquisition_hazard, r.wom_deterrence),
            self.net.compiled_lists,
            (self.status, self.trust, self.acq_cum),
        )

    # ---- a day passes ---------------------------------------------------------------------
    def bill(self, day: int) -> tuple[Int64s, Floats]:
        """The customers billed today (ascending) and their bills [$]."""
        due = daily.due(self.active(), self.pop.billing_day, day % BILLING_CYCLE_DAYS)
        return due, self.pop.monthly_spend[due] * self.spend_multiplier(due)

    def spend_multiplier(self, nodes: Ids) -> Floats:
        return np.maximum(
            0.0, 1.0 + self.r.spend_trust_elasticity * (self.trust[nodes] - self.baseline[nodes])
        )

    def churn_hazard_per_day(self, nodes: Ids) -> Floats:
        """Baseline hazard x exp(-elasticity x trust gap) x (1 + churn_contagion) per churned close
        tie (`churned_followees`): people leave with those they follow (Nitzan & Libai 2011)."""
        exponent, tied, counts = daily.exposure(
            nodes, -self.r.churn_trust_elasticity, (self.trust, self.baseline, self.churned_followees)
        )
        return self._hazards(nodes, exponent, tied, counts)

    def _hazards(self, nodes: Ids, exponent: Floats, tied: Int64s, counts: Floats) -> Floats:
        """The hazards of `nodes` from their exponents and, at positions `tied`, their `counts` of
        churned close ties (`daily.exposure`). Compiled but for exp and power, which numpy takes;
        most people have no churned close tie, and x ** 0 is exactly 1: only the others' is taken."""
        raised = np.power(1.0 + self.r.churn_contagion, counts)
        per_day = (self.churn_per_day.by_segment, self.churn_per_day.segment)
        return daily.hazards(nodes, np.exp(exponent), tied, raised, per_day)

    def welcome(self, nodes: Ids) -> None:
        """Prospects who just became customers (through a broadcast): trust starts at baseline."""
        self.status[nodes] = CUSTOMER
        self.trust[nodes] = self.baseline[nodes]
        self._active = self._prospects = None

    def lapse_tonight(self, nodes: Ids) -> None:
        self._lapsing.append(nodes)

    def lapse(self) -> Int64s:
        """Deal-seekers who came for an offer and will not come back: prospects again, before the
        day's bills, whom word of mouth and campaigns no longer pull in; only another offer can
        (Wu, Kimes & Dholakia 2012: most deal first-timers never return at full price). Returns them."""
        if not self._lapsing:
            return np.zeros(0, dtype=np.int64)
        pending: Int64s = np.concatenate(self._lapsing).astype(np.int64)
        self._lapsing = []
        nodes: Int64s = pending[self.status[pending] == CUSTOMER]
        self.status[nodes] = PROSPECT
        self.deal_seeker[nodes] = True
        self.acq_cum[nodes] = 0.0
        self._active = self._prospects = None
        return nodes

    def active(self) -> Int32s:
        """Node ids of the customers now, ascending (read-only: kept until a status changes)."""
        return self._lists()[0]

    def prospects(self) -> Int32s:
        """Node ids of the prospects now, ascending (read-only: kept until a status changes)."""
        return self._lists()[1]

    def _lists(self) -> tuple[Int32s, Int32s]:
        if self._active is not None and self._prospects is not None:
            return self._active, self._prospects
        return self._keep(*daily.members(self.status, CODES))

    def _keep(self, active: Int32s, prospects: Int32s) -> tuple[Int32s, Int32s]:
        active.flags.writeable = prospects.flags.writeable = False
        self._active, self._prospects = active, prospects
        return active, prospects

    def clv_dollars(self) -> float:
        """Σ over active customers of 12 × monthly spend × spend multiplier × margin / (churn hazard
        + discount rate): the discounted margin of each customer whose spend and hazard stay as they are."""
        econ = self.w.economics
        active = self.active()
        hazard_per_year = self.churn_hazard_per_day(active) * DAYS_PER_YEAR
        monthly = self.pop.monthly_spend[active] * self.spend_multiplier(active)
        return float(
            np.sum(
                MONTHS_PER_YEAR
                * monthly
                * econ.gross_margin
                / (hazard_per_year + econ.annual_discount_rate + 1e-12)
            )
        )

    def end_of_day(self) -> tuple[Int32s, Int32s]:
        """Fatigue fades, trust drifts home, hazards accumulate. Returns (churned, acquired) node ids.
        Compiled (`daily`): two passes over everyone rather than dozens of numpy calls. The first
        also lists customers and prospects (so the kept lists need not be current) and the
        customers' hazard exponents; churn comes first (among the customers before it), then
        acquisitions among the prospects; the lists after both come out of the second."""
        r = self.r
        fade, keep = math.exp(-1.0 / r.fatigue_recovery_days), 1.0 - math.exp(-1.0 / r.trust_memory_days)
        people = (self.status, self.fatigue, self.trust, self.baseline, self.churned_followees)
        active, prospects, exponent, tied, counts = daily.settle(
            fade, keep, -r.churn_trust_elasticity, CODES, people
        )
        churned, acquired, now_active, now_prospects = daily.turnover(
            (active, prospects),
            self._hazards(active, exponent, tied, counts),
            r.organic_acquisition_per_year / DAYS_PER_YEAR,
            CODES,
            (self.status, self.trust, self.baseline, self.churn_cum, self.acq_cum, self.deal_seeker),
            (self.pop.churn_threshold, self.pop.acquisition_threshold),
        )
        kernels.churned_ties(
            churned, self.followees, r.close_ties, self.net.compiled_lists, self.churned_followees
        )
        self._keep(now_active, now_prospects)
        return churned, acquired
