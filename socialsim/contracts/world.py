"""The world a scenario describes: company, segments, topics, economics, reactions, horizon.

Every number is a named parameter with a unit in its description; `socialsim schema` exports
these descriptions so editors show them while a strategist types.
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from .base import Strict
from .vocabulary import INTENTS, NEEDS, TONES, TopicKind


def _check_weights(weights: dict[str, float], where: str) -> None:
    total = sum(weights.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{where} must sum to 1 (got {total:.6g})")


class Followers(Strict):
    """Lognormal follower count: how far one person's post travels."""

    median: float = Field(50.0, gt=0, description="median follower count [people]")
    sigma: float = Field(1.0, ge=0, le=4, description="lognormal shape (log-space std dev) [1]")
    cap: int = Field(5000, ge=1, description="largest follower count drawn [people]")


class Segment(Strict):
    share: float = Field(..., gt=0, le=1, description="share of customers and of prospects in this segment [fraction]; shares sum to 1")
    followers: Followers = Followers()
    monthly_spend_dollars: float = Field(..., ge=0, description="recurring spend of a customer at baseline trust [$ / month]")
    spend_sigma: float = Field(0.5, ge=0, le=3, description="lognormal spread of monthly spend between customers of the segment [log-space std dev]")
    purchase_dollars: float = Field(..., ge=0, description="value of one extra purchase made from a purchase-intent conversation or an offer [$]")
    baseline_trust: float = Field(0.72, ge=0, le=1, description="mean trust in the brand before anything happens [0..1]")
    trust_concentration: float = Field(30.0, gt=0, description="Beta concentration of baseline trust between customers of the segment: higher is more alike [1]")
    churn_per_year: float = Field(0.2, ge=0, description="churn hazard at baseline trust [1 / year]")
    service_sensitivity: float = Field(1.0, ge=0, description="how strongly help or neglect moves this segment's trust [multiplier]")
    promotion_sensitivity: float = Field(1.0, ge=0, description="how responsive this segment is to offers and campaigns [multiplier]")
    conversations_per_month: float = Field(..., ge=0, description="rate at which a customer starts a conversation about the brand [1 / month]")
    intents: dict[str, float] = Field(..., description="share of this segment's conversations by intent (question, complaint, praise, purchase_intent, chatter) [fraction]; sums to 1")
    topics: dict[str, float] = Field(..., description="share of this segment's conversations by topic [fraction]; sums to 1; names come from world.topics")

    @model_validator(mode="after")
    def _weights(self) -> Segment:
        unknown = set(self.intents) - set(INTENTS)
        if unknown:
            raise ValueError(f"unknown intent(s) {sorted(unknown)}; allowed: {list(INTENTS)}")
        _check_weights(self.intents, "intents")
        _check_weights(self.topics, "topics")
        return self


class Population(Strict):
    customers: int = Field(5000, ge=10, le=5_000_000, description="customers at the start [people]")
    prospects_per_customer: float = Field(1.0, ge=0, le=20, description="people in the network who are not yet customers, per customer [ratio]")
    brand_follower_share: float = Field(0.5, ge=0, le=1, description="share of customers who follow the brand's account and see its broadcasts [fraction]")
    homophily: float = Field(0.6, ge=0, le=1, description="chance a follower comes from the same segment [probability]")


class Horizon(Strict):
    days: int = Field(180, ge=1, le=3650, description="simulated days [days]")
    tick_minutes: int = Field(60, ge=5, le=1440, description="lockstep tick: simulated time between exchanges with the strategy service [minutes]; must divide a day")

    @model_validator(mode="after")
    def _divides_day(self) -> Horizon:
        if 1440 % self.tick_minutes:
            raise ValueError(f"tick_minutes must divide 1440 (got {self.tick_minutes})")
        return self


class Economics(Strict):
    gross_margin: float = Field(0.4, ge=0, le=1, description="margin on revenue [fraction]")
    annual_discount_rate: float = Field(0.1, ge=0, le=1, description="discount rate for customer lifetime value [1 / year]")
    staff_cost_dollars_per_hour: dict[str, float] = Field(
        default_factory=lambda: {"marketing": 60.0, "comms": 55.0, "support": 40.0},
        description="fully loaded cost of one staffed hour by department [$ / hour]",
    )
    broadcast_cost_dollars: float = Field(200.0, ge=0, description="cost of producing one broadcast (campaign post) [$]")
    offer_discount: float = Field(0.2, ge=0, lt=1, description="discount given on a purchase made through an offer [fraction of purchase_dollars]")


_DEFAULT_QUALITY = {
    "resolve": {"resolve": 0.92, "de_escalate": 0.45, "answer": 0.35, "acknowledge": 0.1, "offer": 0.05},
    "answer": {"answer": 0.9, "resolve": 0.9, "de_escalate": 0.7, "offer": 0.4, "acknowledge": 0.2},
    "de_escalate": {"de_escalate": 0.85, "resolve": 0.9, "answer": 0.55, "acknowledge": 0.25, "offer": 0.1},
    "convert": {"offer": 0.95, "answer": 0.7, "resolve": 0.6, "de_escalate": 0.5, "acknowledge": 0.3},
    "acknowledge": {"acknowledge": 0.9, "answer": 0.9, "de_escalate": 0.8, "resolve": 0.8, "offer": 0.6},
}


class Reactions(Strict):
    """How customers react. These are the model's behavioural assumptions (see README, "The model")."""

    action_quality: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in _DEFAULT_QUALITY.items()},
        description="chance an immediate response with this action meets this need, by need then action [probability]",
    )
    tone_trust_multiplier: dict[str, float] = Field(
        default_factory=lambda: {"conversational": 1.2, "neutral": 1.0, "promotional": 0.8},
        description="how a response's tone scales the trust it wins, by tone [multiplier]",
    )
    help_half_life_minutes: float = Field(25.0, gt=0, description="delay after which a response's chance of helping has halved [minutes]; calibrated to: fast-reply-wtp, telecom-latency (docs/calibration.md)")
    trust_gain_helped: float = Field(0.04, ge=0, le=1, description="trust gained when helped, times service_sensitivity [trust]; calibrated to: reply-wtp, recommend (docs/calibration.md)")
    trust_loss_unhelped: float = Field(0.012, ge=0, le=1, description="trust lost when answered but not helped [trust]; calibrated to: telecom-latency, fast-reply-wtp (docs/calibration.md)")
    trust_loss_ignored: float = Field(0.012, ge=0, le=1, description="trust lost when a help-seeking post gets no answer [trust]; calibrated to: telecom-latency, fast-reply-wtp (docs/calibration.md)")
    complaint_weight: float = Field(1.5, ge=0, description="how much more a complaint's outcome moves trust than a question's [multiplier]")
    trust_gain_acknowledged: float = Field(0.01, ge=0, le=1, description="trust gained when praise or chatter is acknowledged [trust]")
    pitch_annoyance: float = Field(0.015, ge=0, le=1, description="trust lost when someone who did not ask gets a sales pitch [trust]; calibrated to: fast-reply-wtp (docs/calibration.md)")
    pitch_conversion: float = Field(0.04, ge=0, le=1, description="chance an unsolicited pitch leads to a purchase, times promotion_sensitivity [probability]")
    comeback_uplift: float = Field(0.5, ge=0, le=5, description="rise in a helped customer's rate of questions and complaints (the squeaky wheel) [fraction]")
    comeback_cap: float = Field(3.0, ge=1, le=10, description="ceiling on the question/complaint rate multiplier [multiplier]")
    purchase_conversion_unanswered: float = Field(0.15, ge=0, le=1, description="chance a purchase-intent post becomes a purchase with no answer [probability]")
    purchase_conversion_helped: float = Field(0.5, ge=0, le=1, description="chance a purchase-intent post becomes a purchase when the answer helped [probability]")
    advocacy_after_help: float = Field(0.3, ge=0, le=1, description="chance a helped customer posts praise to their followers [probability]; calibrated to: wom-ratio (docs/calibration.md)")
    rant_after_neglect: float = Field(0.15, ge=0, le=1, description="chance an unhelped complainer posts criticism to their followers [probability]; calibrated to: wom-ratio (docs/calibration.md)")
    wom_trust_effect: float = Field(0.0003, ge=0, le=1, description="trust change of a customer who sees a friend's post about the brand [trust per post]")
    wom_acquisition_hazard: float = Field(0.02, ge=0, le=1, description="added chance of becoming a customer per positive post a prospect sees [1 / post]")
    wom_deterrence: float = Field(0.02, ge=0, le=1, description="removed chance of becoming a customer per negative post a prospect sees [1 / post]")
    organic_acquisition_per_year: float = Field(0.05, ge=0, le=5, description="hazard of a prospect becoming a customer with no word of mouth [1 / year]")
    spend_trust_elasticity: float = Field(2.0, ge=0, le=10, description="relative change in recurring spend per unit of trust above baseline [1 / trust]; calibrated to: reply-wtp (docs/calibration.md)")
    churn_trust_elasticity: float = Field(4.0, ge=0, le=20, description="churn hazard is multiplied by exp(-elasticity x (trust - baseline)) [1 / trust]")
    trust_memory_days: float = Field(120.0, gt=0, description="time constant with which trust drifts back to baseline [days]")
    broadcast_conversion: float = Field(0.004, ge=0, le=1, description="chance a reached follower buys after a campaign, times promotion_sensitivity [probability]")
    offer_uplift: float = Field(2.5, ge=1, le=20, description="how much an offer multiplies a broadcast's conversion [multiplier]")
    campaign_prospect_reach: float = Field(0.02, ge=0, le=1, description="share of a targeted segment's prospects a campaign reaches beyond the brand's followers [fraction]")
    campaign_acquisition_hazard: float = Field(0.01, ge=0, le=1, description="chance a reached prospect becomes a customer, times promotion_sensitivity [probability]")
    fatigue_recovery_days: float = Field(7.0, gt=0, description="time constant with which promotion fatigue fades [days]")
    tune_out_fatigue: float = Field(6.0, gt=0, description="fatigue (promotions seen, decaying) above which a follower stops seeing broadcasts [promotions]")
    promoter_trust: float = Field(0.74, ge=0, le=1, description="trust at or above which a customer is an NPS promoter (scores 9-10) [0..1]; calibrated to: recommend, wom-ratio (docs/calibration.md)")
    detractor_trust: float = Field(0.62, ge=0, le=1, description="trust below which a customer is an NPS detractor (scores 0-6) [0..1]; calibrated to: wom-ratio (docs/calibration.md)")

    @model_validator(mode="after")
    def _quality_table(self) -> Reactions:
        missing = set(NEEDS) - set(self.action_quality)
        if missing:
            raise ValueError(f"action_quality lacks need(s) {sorted(missing)}; needs: {list(NEEDS)}")
        missing_tones = set(TONES) - set(self.tone_trust_multiplier)
        if missing_tones:
            raise ValueError(f"tone_trust_multiplier lacks tone(s) {sorted(missing_tones)}; tones: {list(TONES)}")
        if self.detractor_trust > self.promoter_trust:
            raise ValueError("detractor_trust must not exceed promoter_trust")
        return self


# Relative posting activity by hour of day, 00:00 first. An assumption, not a calibrated figure:
# the familiar shape of social-media activity (quiet from 01:00 to 06:00, rising through the
# morning, a plateau over the working day and a peak in the evening). It matters because a
# strategy's shift covers only part of the day: posts written when nobody is on shift wait.
_DEFAULT_ACTIVITY = [0.5, 0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.7, 1.0, 1.2, 1.3, 1.4,
                     1.5, 1.4, 1.3, 1.3, 1.3, 1.4, 1.5, 1.6, 1.6, 1.4, 1.1, 0.8]


class World(Strict):
    company: str = Field(..., min_length=1, description="company name, for reports")
    currency: str = Field("USD", description="currency of every money figure")
    population: Population = Population()
    horizon: Horizon = Horizon()
    topics: dict[str, TopicKind] = Field(..., min_length=1, description="topics people talk about, each with its kind: account (needs support to resolve), product, offer, general")
    segments: dict[str, Segment] = Field(..., min_length=1)
    economics: Economics = Economics()
    reactions: Reactions = Reactions()
    activity_by_hour: list[float] = Field(
        default_factory=lambda: list(_DEFAULT_ACTIVITY), min_length=24, max_length=24,
        description="relative rate at which people post in each hour of the day, 00:00 first; 24 non-negative weights, not all zero [weight]",
    )

    @model_validator(mode="after")
    def _consistent(self) -> World:
        if min(self.activity_by_hour) < 0 or sum(self.activity_by_hour) <= 0:
            raise ValueError("activity_by_hour must be 24 non-negative weights with a positive sum")
        _check_weights({k: s.share for k, s in self.segments.items()}, "segment shares")
        for name, seg in self.segments.items():
            unknown = set(seg.topics) - set(self.topics)
            if unknown:
                raise ValueError(f"segment {name!r} talks about unknown topic(s) {sorted(unknown)}; topics: {list(self.topics)}")
        return self
