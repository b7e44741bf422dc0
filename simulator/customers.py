"""Customer state and the rules by which people react. Pure numpy over arrays; no I/O, no clock.

One arm owns one `Customers`. Every rule takes its randomness as arguments (uniforms drawn per
conversation or per (stream, index, person)), so the same person meets the same luck in every arm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from socialsim.contracts.timeunits import BILLING_CYCLE_DAYS, DAYS_PER_YEAR, MONTHS_PER_YEAR
from socialsim.contracts.vocabulary import INTENTS
from socialsim.contracts.world import World

from .arrays import Bools, Floats, Ids, Int8s, Int16s, Int64s
from .exogenous import max_rate_multiplier
from .network import Network
from .population import Population

PROSPECT, CUSTOMER, CHURNED = 0, 1, 2
I_QUESTION, I_COMPLAINT, I_PRAISE, I_PURCHASE, I_CHATTER = (INTENTS.index(i) for i in INTENTS)
Uniforms = Callable[[Ids], Floats]  # a person's uniform on one counter stream, by node id


@dataclass
class Reaction:
    """What a tick's responses did, per response (aligned arrays)."""

    helped: Bools
    purchase_dollars: Floats  # 0 where no purchase
    trust_after: Floats
    wom_valence: Int8s  # +1 praise posted, -1 criticism posted, 0 nothing


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
        self.max_mult = max_rate_multiplier(world)
        # customers and prospects now, kept because status changes only at the end of a day
        self._active: Int64s | None = None
        self._prospects: Int64s | None = None

    # ---- who posts ------------------------------------------------------------------------
    def keeps(self, node: Ids, intent: Int8s, u: Floats) -> Bools:
        """Thinning: does this arm's state turn the candidate into a real post?"""
        mult = np.ones(len(node))
        seeking = (intent == I_QUESTION) | (intent == I_COMPLAINT)
        mult[seeking] = self.comeback[node[seeking]]
        praise = intent == I_PRAISE
        mult[praise] = np.clip(
            self.trust[node[praise]] / np.maximum(self.baseline[node[praise]], 1e-9), 0.0, self.max_mult
        )
        customer: Bools = self.status[node] == CUSTOMER  # numpy types `==` on arrays as Any
        return customer & (u * self.max_mult < mult)

    def _clip_trust(self, nodes: Ids) -> None:
        """Keep trust in [0, 1], touching only the people just changed (not the whole population)."""
        self.trust[nodes] = self.trust[nodes].clip(0.0, 1.0)

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
        r = self.r
        seeking = (intent == I_QUESTION) | (intent == I_COMPLAINT) | (intent == I_PURCHASE)
        p_help = np.where(answered, quality * np.power(0.5, delay / r.help_half_life_minutes), 0.0)
        helped = seeking & (u_outcome < p_help)
        weight = np.where(intent == I_COMPLAINT, r.complaint_weight, 1.0) * self.service[node]
        delta = (
            np.where(
                helped, r.trust_gain_helped, np.where(answered, -r.trust_loss_unhelped, -r.trust_loss_ignored)
            )
            * weight
        )
        delta = np.where(seeking, delta, r.trust_gain_acknowledged * p_help * self.service[node])
        delta = np.where(delta > 0, delta * tone, delta)  # the voice of an answer scales the trust it wins
        annoyed = pitched & (intent != I_PURCHASE)
        delta -= np.where(annoyed, r.pitch_annoyance, 0.0)
        np.add.at(self.trust, node, delta)
        self._clip_trust(node)
        np.add.at(self.fatigue, node, annoyed.astype(float))
        comeback = helped & (intent != I_PURCHASE)
        self.comeback[node[comeback]] = np.minimum(
            r.comeback_cap, self.comeback[node[comeback]] * (1 + r.comeback_uplift)
        )
        # purchase intent: conversion rises with the chance the answer helped (one uniform, so monotone)
        p_buy = (
            r.purchase_conversion_unanswered
            + (r.purchase_conversion_helped - r.purchase_conversion_unanswered) * p_help
        )
        bought = (intent == I_PURCHASE) & (u_outcome < p_buy)
        pitch_buy = annoyed & (u_pitch < r.pitch_conversion * self.promotion[node])
        price = self.purchase_value[node] * np.where(offer, 1.0 - discount, 1.0)
        dollars = np.where(bought | pitch_buy, price, 0.0)
        advocate = helped & (u_wom < np.minimum(1.0, r.advocacy_after_help * self.service[node]))
        rant = (intent == I_COMPLAINT) & ~helped & (u_wom < r.rant_after_neglect)
        valence = np.where(advocate, 1, np.where(rant, -1, 0)).astype(np.int8)
        return Reaction(
            helped=helped, purchase_dollars=dollars, trust_after=self.trust[node], wom_valence=valence
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

    def hear(self, authors: Ids, valence: Int8s) -> Int64s:
        """Followers of each author see the post; returns the reach of each post [people]."""
        seen, reach = self.net.followers_of_each(authors)
        if len(seen) == 0:
            return reach
        sign = np.repeat(valence, reach)
        status = self.status[seen]
        customer = status == CUSTOMER
        heard = seen[customer]
        np.add.at(self.trust, heard, sign[customer] * self.r.wom_trust_effect)
        self._clip_trust(heard)
        prospect = status == PROSPECT
        pull = np.where(sign[prospect] > 0, self.r.wom_acquisition_hazard, -self.r.wom_deterrence)
        np.add.at(self.acq_cum, seen[prospect], pull)
        return reach

    # ---- broadcasts -----------------------------------------------------------------------
    def broadcast(
        self,
        weight_by_segment: Floats,
        offer: bool,
        u_reach: Uniforms,
        u_buy: Uniforms,
        discount: float,
    ) -> tuple[Int64s, Floats, int]:
        """A campaign post. Returns (buyers, dollars, followers reached).

        `u_reach(ids)` and `u_buy(ids)` give each person's uniforms; they are asked only for the
        people who could be reached or could buy, so a broadcast costs what its audience does."""
        r = self.r
        w = weight_by_segment[self.pop.segment]
        audience = np.flatnonzero(
            (self.status == CUSTOMER) & self.pop.brand_follower & (self.fatigue < r.tune_out_fatigue)
        )
        reached = audience[u_reach(audience) < w[audience]]
        p = (
            r.broadcast_conversion
            * self.promotion[reached]
            * (r.offer_uplift if offer else 1.0)
            * np.exp(-self.fatigue[reached] / r.tune_out_fatigue)
        )
        buyers = reached[u_buy(reached) < p]
        self.fatigue[reached] += 1.0
        prospects = self.prospects()
        self.acq_cum[prospects] += (
            r.campaign_prospect_reach
            * w[prospects]
            * r.campaign_acquisition_hazard
            * self.promotion[prospects]
        )
        dollars = self.purchase_value[buyers] * (1.0 - discount if offer else 1.0)
        return buyers, dollars, len(reached)

    # ---- a day passes ---------------------------------------------------------------------
    def bill(self, day: int) -> tuple[Int64s, Floats]:
        due = np.flatnonzero((self.status == CUSTOMER) & (self.pop.billing_day == day % BILLING_CYCLE_DAYS))
        return due, self.pop.monthly_spend[due] * self.spend_multiplier(due)

    def spend_multiplier(self, nodes: Ids) -> Floats:
        return np.maximum(
            0.0, 1.0 + self.r.spend_trust_elasticity * (self.trust[nodes] - self.baseline[nodes])
        )

    def churn_hazard_per_day(self, nodes: Ids) -> Floats:
        return self.churn_per_day[nodes] * np.exp(
            -self.r.churn_trust_elasticity * (self.trust[nodes] - self.baseline[nodes])
        )

    def active(self) -> Int64s:
        """Node ids of the customers now, ascending (read-only: kept until a status changes)."""
        if self._active is None:
            self._active = np.flatnonzero(self.status == CUSTOMER)
            self._active.flags.writeable = False
        return self._active

    def prospects(self) -> Int64s:
        """Node ids of the prospects now, ascending (read-only: kept until a status changes)."""
        if self._prospects is None:
            self._prospects = np.flatnonzero(self.status == PROSPECT)
            self._prospects.flags.writeable = False
        return self._prospects

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

    def end_of_day(self) -> tuple[Int64s, Int64s]:
        """Fatigue fades, trust drifts home, hazards accumulate. Returns (churned, acquired) node ids."""
        r = self.r
        self.fatigue *= math.exp(-1.0 / r.fatigue_recovery_days)
        drift = np.subtract(self.baseline, self.trust)
        drift *= 1.0 - math.exp(-1.0 / r.trust_memory_days)
        self.trust += drift
        active = self.active()
        churn_cum = self.churn_cum[active] + self.churn_hazard_per_day(active)
        self.churn_cum[active] = churn_cum
        churned = active[churn_cum >= self.pop.churn_threshold[active]]
        self.status[churned] = CHURNED
        prospects = self.prospects()
        acq_cum = self.acq_cum[prospects] + r.organic_acquisition_per_year / DAYS_PER_YEAR
        self.acq_cum[prospects] = acq_cum
        acquired = prospects[acq_cum >= self.pop.acquisition_threshold[prospects]]
        self.status[acquired] = CUSTOMER
        self.trust[acquired] = self.baseline[acquired]
        self._active = self._prospects = None
        return churned, acquired
