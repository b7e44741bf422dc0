"""The world a scenario describes: company, segments, topics, economics, reactions, horizon.

Every number is a named parameter with a unit in its description; `socialsim schema` exports
these descriptions so editors show them while a strategist types.
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from .base import MAX_DOLLARS, MAX_MULTIPLIER, Dollars, Probability, Strict, Weight
from .reactions import Reactions
from .vocabulary import DEPARTMENTS, INTENTS, TopicKind

# Most followers one person may have [people]: a celebrity account, not a broadcast to a nation.
MAX_FOLLOWERS = 1_000_000
# Most follow links a replication's network may hold [links]: the network is stored as 16-bit gaps
# (2 bytes a link) with about 7 bytes a link of temporaries while one replication's network is
# built, so this bounds a replication's network near 1.2 GB and its build near 4.2 GB.
MAX_FOLLOW_LINKS = 600_000_000


def _check_weights(weights: dict[str, float], where: str) -> None:
    total = sum(weights.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{where} must sum to 1 (got {total:.6g})")


class Followers(Strict):
    """Lognormal follower count: how far one person's post travels."""

    median: float = Field(50.0, gt=0, le=MAX_FOLLOWERS, description="median follower count [people]")
    sigma: float = Field(1.0, ge=0, le=4, description="lognormal shape (log-space std dev) [1]")
    cap: int = Field(5000, ge=1, le=MAX_FOLLOWERS, description="largest follower count drawn [people]")

    def expected_links(self, people: int) -> float:
        """Upper bound on the mean follower count in a network of `people` (the lognormal mean,
        capped by `cap` and by everyone else) [links per person]."""
        return min(self.median * math.exp(self.sigma**2 / 2), self.cap, max(people - 1, 0))


class Segment(Strict):
    share: float = Field(
        ...,
        gt=0,
        le=1,
        description="share of customers and of prospects in this segment [fraction]; shares sum to 1",
    )
    followers: Followers = Followers()
    monthly_spend_dollars: float = Field(
        ..., ge=0, le=MAX_DOLLARS, description="recurring spend of a customer at baseline trust [$ / month]"
    )
    spend_sigma: float = Field(
        0.5,
        ge=0,
        le=3,
        description="lognormal spread of monthly spend between customers of the segment [log-space std dev]",
    )
    purchase_dollars: float = Field(
        ...,
        ge=0,
        le=MAX_DOLLARS,
        description="value of one extra purchase made from a purchase-intent conversation or an offer [$]",
    )
    baseline_trust: float = Field(
        0.72, ge=0, le=1, description="mean trust in the brand before anything happens [0..1]"
    )
    trust_concentration: float = Field(
        30.0,
        gt=0,
        le=1e6,
        description=(
            "Beta concentration of baseline trust between customers of the segment: higher is more alike [1]"
        ),
    )
    churn_per_year: float = Field(0.2, ge=0, le=100, description="churn hazard at baseline trust [1 / year]")
    service_sensitivity: float = Field(
        1.0,
        ge=0,
        le=MAX_MULTIPLIER,
        description="how strongly help or neglect moves this segment's trust [multiplier]",
    )
    promotion_sensitivity: float = Field(
        1.0,
        ge=0,
        le=MAX_MULTIPLIER,
        description="how responsive this segment is to offers and campaigns [multiplier]",
    )
    conversations_per_month: float = Field(
        ...,
        ge=0,
        le=1000,
        description="rate at which a customer starts a conversation about the brand [1 / month]",
    )
    intents: dict[str, Probability] = Field(
        ...,
        description=(
            "share of this segment's conversations by intent (question, complaint, "
            "praise, purchase_intent, chatter) [fraction]; sums to 1"
        ),
    )
    topics: dict[str, Probability] = Field(
        ...,
        description=(
            "share of this segment's conversations by topic [fraction]; sums to 1; "
            "names come from world.topics"
        ),
    )

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
    prospects_per_customer: float = Field(
        1.0, ge=0, le=20, description="people in the network who are not yet customers, per customer [ratio]"
    )
    brand_follower_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of customers who follow the brand's account and see its broadcasts [fraction]",
    )
    homophily: float = Field(
        0.6, ge=0, le=1, description="chance a follower comes from the same segment [probability]"
    )
    brand_account_followers: int = Field(
        100_000,
        ge=1,
        le=1_000_000_000,
        description=(
            "followers of the brand's account at the start, of whom the simulated brand followers are "
            "a sample; sets the organic reach share of its posts [people]"
        ),
    )
    campaign_holdout_share: float = Field(
        0.0,
        ge=0,
        lt=1,
        description=(
            "share of people every broadcast skips, drawn once per person by a counter-based uniform: "
            "the control group of a lift study [fraction]"
        ),
    )


class Horizon(Strict):
    days: int = Field(180, ge=1, le=3650, description="simulated days [days]")
    tick_minutes: int = Field(
        60,
        ge=5,
        le=1440,
        description=(
            "lockstep tick: simulated time between exchanges with the strategy "
            "service [minutes]; must divide a day"
        ),
    )

    @model_validator(mode="after")
    def _divides_day(self) -> Horizon:
        if 1440 % self.tick_minutes:
            raise ValueError(f"tick_minutes must divide 1440 (got {self.tick_minutes})")
        return self


class Economics(Strict):
    gross_margin: float = Field(0.4, ge=0, le=1, description="margin on revenue [fraction]")
    annual_discount_rate: float = Field(
        0.1, ge=0, le=1, description="discount rate for customer lifetime value [1 / year]"
    )
    staff_cost_dollars_per_hour: dict[str, Dollars] = Field(
        default_factory=lambda: {"marketing": 60.0, "comms": 55.0, "support": 40.0},
        description="fully loaded cost of one staffed hour by department [$ / hour]",
    )
    broadcast_cost_dollars: float = Field(
        200.0, ge=0, le=MAX_DOLLARS, description="cost of producing one broadcast (campaign post) [$]"
    )
    offer_discount: float = Field(
        0.2,
        ge=0,
        lt=1,
        description="discount given on a purchase made through an offer [fraction of purchase_dollars]",
    )

    @model_validator(mode="after")
    def _departments(self) -> Economics:
        unknown = set(self.staff_cost_dollars_per_hour) - set(DEPARTMENTS)
        if unknown:
            raise ValueError(
                f"staff_cost_dollars_per_hour: unknown department(s) {sorted(unknown)}; "
                f"allowed: {list(DEPARTMENTS)}"
            )
        return self


# Relative posting activity by hour of day, 00:00 first. An assumption, not a calibrated figure:
# the familiar shape of social-media activity (quiet from 01:00 to 06:00, rising through the
# morning, a plateau over the working day and a peak in the evening). It matters because a
# strategy's shift covers only part of the day: posts written when nobody is on shift wait.
_DEFAULT_ACTIVITY = [
    0.5,
    0.3,
    0.2,
    0.15,
    0.15,
    0.2,
    0.4,
    0.7,
    1.0,
    1.2,
    1.3,
    1.4,
    1.5,
    1.4,
    1.3,
    1.3,
    1.3,
    1.4,
    1.5,
    1.6,
    1.6,
    1.4,
    1.1,
    0.8,
]


class World(Strict):
    company: str = Field(..., min_length=1, description="company name, for reports")
    currency: str = Field("USD", description="currency of every money figure")
    population: Population = Population()
    horizon: Horizon = Horizon()
    topics: dict[str, TopicKind] = Field(
        ...,
        min_length=1,
        description=(
            "topics people talk about, each with its kind: account (needs support "
            "to resolve), product, offer, general"
        ),
    )
    segments: dict[str, Segment] = Field(..., min_length=1)
    economics: Economics = Economics()
    reactions: Reactions = Reactions()
    activity_by_hour: list[Weight] = Field(
        default_factory=lambda: list(_DEFAULT_ACTIVITY),
        min_length=24,
        max_length=24,
        description=(
            "relative rate at which people post in each hour of the day, 00:00 "
            "first; 24 non-negative weights, not all zero [weight]"
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> World:
        if sum(self.activity_by_hour) <= 0:
            raise ValueError("activity_by_hour must be 24 non-negative weights with a positive sum")
        self._network_fits()
        _check_weights({k: s.share for k, s in self.segments.items()}, "segment shares")
        for name, seg in self.segments.items():
            unknown = set(seg.topics) - set(self.topics)
            if unknown:
                raise ValueError(
                    f"segment {name!r} talks about unknown topic(s) {sorted(unknown)}; "
                    f"topics: {list(self.topics)}"
                )
        return self

    def _network_fits(self) -> None:
        """Refuse follower settings whose network would not fit in memory: with a huge median or
        cap, everyone follows everyone and the link count grows with the square of the population."""
        pop = self.population
        people = pop.customers + round(pop.customers * pop.prospects_per_customer)
        links = sum(people * s.share * s.followers.expected_links(people) for s in self.segments.values())
        if links > MAX_FOLLOW_LINKS:
            raise ValueError(
                f"followers (median, sigma, cap) with {people} people in the network give about "
                f"{links:.3g} follow links; at most {MAX_FOLLOW_LINKS:.3g} fit in memory: "
                "lower segments' followers.median or followers.cap, or the population"
            )
