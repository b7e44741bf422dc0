"""The published facts the default world must reproduce, each with the virtual study that tests it.

A fact names the scenario and arm its study runs on. The arm is `marketing-led` throughout:
typical brand practice, which `typical-care` checks against a census of 34 US firms, is the
practice the published reply studies observed. Bands are what counts as reproduced; a measure
passes when its mean over replications lies in its band (rule "mean"), or, where the finding is
a direction rather than a size, when its whole 95% CI does (rule "ci").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from socialsim.contracts.world import World

from . import marketing_studies as ms
from . import studies

# A study reads one replication's events and network (author, follower) and the world's declared figures.
Study = Callable[[pd.DataFrame, World, pd.DataFrame], float]


@dataclass(frozen=True)
class Measure:
    name: str
    unit: str
    study: Study
    band: tuple[float, float]
    published: float | None = None  # the published figure in this measure's terms, where it has one
    rule: str = "mean"  # "mean": the mean lies in the band; "ci": the whole 95% CI does

    def passes(self, mean: float, ci95: tuple[float, float]) -> bool:
        low, high = self.band
        if any(math.isnan(x) for x in (mean, *ci95)):
            return False
        if self.rule == "ci":
            return low <= ci95[0] and ci95[1] <= high
        return low <= mean <= high


@dataclass(frozen=True)
class Fact:
    id: str
    finding: str
    source: str
    design: str  # the virtual study, in a sentence
    scenario: str
    arm: str
    measures: tuple[Measure, ...]
    # `--set` values the study's design needs (a holdout group), applied to its own simulation
    design_settings: tuple[str, ...] = ()


def _events_only(study: Callable[[pd.DataFrame], float]) -> Study:
    return lambda events, world, network: study(events)


def _promoters(events: pd.DataFrame, world: World, network: pd.DataFrame) -> float:
    return studies.promoter_ratio(world.reactions.promoter_trust)(events)


def _over_horizon(study: Callable[[pd.DataFrame, float], float]) -> Study:
    return lambda events, world, network: study(events, world.horizon.days * 1440.0)


def _contagion(events: pd.DataFrame, world: World, network: pd.DataFrame) -> float:
    return ms.churn_contagion(events, network, world.horizon.days * 1440.0)


FAST_REPLY_MINUTES = 6.0  # the airline study's fast reply [minutes]
TELECOM_FAST_MINUTES = 4.0  # the telecom study's fast reply [minutes]
TELECOM_SLOW_MINUTES = 20.0  # the telecom study's slow reply [minutes]
SQUEAKY = studies.SqueakyWheel(follow_up_days=60.0)
LIFT = ms.CampaignLift(window_days=28.0)  # the published experiments ran about 4 weeks
DEAL_RETURN = ms.DealReturn(within_days=90.0)
HOLDOUT_SHARE = 0.5  # followers the studied campaigns skip [fraction]: half, for the most power
INF = math.inf

FACTS: tuple[Fact, ...] = (
    Fact(
        "reply-wtp",
        (
            "a brand's reply to a customer's tweet raises what that customer is "
            "willing to pay by about $9 on a ~$300 airline ticket (~3%)"
        ),
        "Twitter + Applied Marketing Science, 2015 (US airlines, >600k tweets, 1,156 surveyed)",
        (
            "customers who posted a question or complaint: spend at the next bill "
            "over the last bill before, replied vs not, same segment mix"
        ),
        "credit-card-issuer",
        "marketing-led",
        (
            Measure(
                "spend uplift after a reply vs none",
                "fraction",
                _events_only(studies.reply_uplift),
                (0.015, 0.06),
                9 / 300,
            ),
        ),
    ),
    Fact(
        "fast-reply-wtp",
        "a reply within 6 minutes raises it by about $20, ~2.2x the average reply",
        "Twitter + Applied Marketing Science, 2015",
        "as reply-wtp; the uplift of replies within 6 minutes over the uplift of all replies",
        "credit-card-issuer",
        "marketing-led",
        (
            Measure(
                "fast / average reply uplift",
                "ratio",
                _events_only(
                    studies.uplift_ratio(
                        of=studies.SpendUplift(max_delay_minutes=FAST_REPLY_MINUTES),
                        over=studies.SpendUplift(),
                    )
                ),
                (1.6, 3.0),
                20 / 9,
            ),
        ),
    ),
    Fact(
        "telecom-latency",
        "telecom: a reply within 4 minutes is worth +$17/month, one after 20 minutes or more +$3.50",
        "Twitter + Applied Marketing Science, 2016",
        (
            "as reply-wtp in telecom-carrier; the uplift of replies after 20+ "
            "minutes over that of replies within 4"
        ),
        "telecom-carrier",
        "marketing-led",
        (
            Measure(
                "slow / fast reply uplift",
                "ratio",
                _events_only(
                    studies.uplift_ratio(
                        of=studies.SpendUplift(min_delay_minutes=TELECOM_SLOW_MINUTES),
                        over=studies.SpendUplift(max_delay_minutes=TELECOM_FAST_MINUTES),
                    )
                ),
                (0.1, 0.35),
                3.5 / 17,
            ),
        ),
    ),
    Fact(
        "recommend",
        "customers who got a reply are about 30% more likely to recommend the brand",
        "Twitter + Applied Marketing Science, 2016",
        (
            "customers who posted a question or complaint: share of promoters right "
            "after the reply (or after giving up), replied over not, same "
            "segment mix"
        ),
        "credit-card-issuer",
        "marketing-led",
        (Measure("promoter share, replied / not", "ratio", _promoters, (1.15, 1.5), 1.3),),
    ),
    Fact(
        "wom-ratio",
        "positive word of mouth is about 3x as frequent as negative",
        "East, Hammond & Wright, 2007 (15 studies)",
        "positive over negative word of mouth customers tell each other (views in chatter, advocacy, rants)",
        "credit-card-issuer",
        "marketing-led",
        (
            Measure(
                "positive / negative word of mouth", "ratio", _events_only(studies.wom_ratio), (2.0, 4.5), 3.0
            ),
        ),
    ),
    Fact(
        "typical-care",
        "typical brand practice: 47% of complaints go unanswered; the median first reply takes 46 minutes",
        "Einwiller & Steilen, 2015 (34 US firms, 5,023 threads)",
        "complaints in telecom-carrier: share never answered, and the median delay of those answered",
        "telecom-carrier",
        "marketing-led",
        (
            Measure(
                "unanswered complaints",
                "fraction",
                _events_only(studies.unanswered_complaints),
                (0.35, 0.60),
                0.47,
            ),
            Measure(
                "median first reply", "minutes", _events_only(studies.median_first_reply), (25.0, 90.0), 46.0
            ),
        ),
    ),
    Fact(
        "squeaky-wheel",
        (
            "intervening on a complaint improves the relationship but makes the "
            "customer more likely to complain again"
        ),
        "Ma, Sun & Kekre, 2015, Marketing Science (714 telecom customers)",
        (
            "each customer's first complaint, helped vs not, same segment mix: "
            f"complaints over the next {SQUEAKY.follow_up_days:g} days, and trust "
            "after the reply"
        ),
        "telecom-carrier",
        "marketing-led",
        (
            Measure(
                "next-complaint rate, helped - unhelped",
                "1 / 30 days",
                _over_horizon(SQUEAKY.next_complaints),
                (0.0, INF),
                rule="ci",
            ),
            Measure("trust, helped - unhelped", "trust", _over_horizon(SQUEAKY.trust), (0.0, INF), rule="ci"),
        ),
    ),
    Fact(
        "churn-contagion",
        "a customer's risk of defecting rises about 80% for each neighbour who has defected",
        "Nitzan & Libai, 2011, Journal of Marketing (~1M cellular customers)",
        (
            "customers' churn hazard while at least one person they follow has churned, over their "
            "hazard before, within segment (Mantel-Haenszel rate ratio over customer-days)"
        ),
        "telecom-carrier",
        "marketing-led",
        (Measure("churn hazard, >= 1 churned followee / none", "ratio", _contagion, (1.3, 2.5), 1.8),),
    ),
    Fact(
        "negative-reach",
        "people tell about 16 others of poor service and about 9 of good (24 vs 15 in 2012)",
        "American Express Customer Service Barometer, 2011 and 2012",
        "mean reach of negative word of mouth (retellings included) over that of positive",
        "credit-card-issuer",
        "marketing-led",
        (Measure("negative / positive reach", "ratio", _events_only(ms.negative_reach), (1.3, 2.2), 16 / 9),),
    ),
    Fact(
        "promo-unfollow",
        "too many promotions is the top reason people unfollow brands (46%; posting too often 35%)",
        "Sprout Social Index, Q3 2016",
        "reasons of every unfollow of the brand's account under marketing-led",
        "credit-card-issuer",
        "marketing-led",
        (
            Measure(
                "promotion share of unfollows",
                "fraction",
                _events_only(ms.promotion_unfollow_share),
                (0.30, 1.0),
                0.46,
            ),
            Measure(
                "promotion share / next reason's",
                "ratio",
                _events_only(ms.promotion_over_next_reason),
                (1.0, INF),
                0.46 / 0.35,
            ),
        ),
    ),
    Fact(
        "organic-reach",
        "an organic post reaches about 6% of a page's fans (about 2% for pages over 500k fans)",
        "Social@Ogilvy, 2014 (106 pages, 48M fans)",
        "per broadcast: brand followers its organic post reached over the brand's followers then",
        "credit-card-issuer",
        "marketing-led",
        (
            Measure(
                "followers reached per post", "fraction", _events_only(ms.organic_reach), (0.02, 0.12), 0.06
            ),
        ),
    ),
    Fact(
        "campaign-lift",
        "median purchase lift of ad exposure across 663 randomised experiments: about 6%",
        "Gordon, Moakler & Zettelmeyer, 2022 (Facebook RCTs)",
        (
            f"randomised holdout: {HOLDOUT_SHARE:.0%} of people skipped by every broadcast; share of the "
            f"starting followers buying (other than their bill) per {LIFT.window_days:g} days, exposed "
            "over held out, minus 1"
        ),
        "restaurant-chain",
        "marketing-led",
        (Measure("purchase-rate lift", "fraction", _over_horizon(LIFT), (0.02, 0.15), 0.06),),
        design_settings=(f"world.population.campaign_holdout_share={HOLDOUT_SHARE}",),
    ),
    Fact(
        "deal-newcomers",
        "22%-40% of restaurant deal buyers were new customers",
        "Kimes & Dholakia 2011; Wu, Kimes & Dholakia 2012 (Cornell Hospitality Reports)",
        "redemptions of broadcast offers by people not yet customers, over all redemptions",
        "restaurant-chain",
        "marketing-led",
        (
            Measure(
                "newcomers' share of redemptions",
                "fraction",
                _events_only(ms.deal_newcomers),
                (0.20, 0.45),
                0.31,
            ),
        ),
    ),
    Fact(
        "deal-return",
        "about 35% of first-timers a deal brought came back without another offer",
        "Wu, Kimes & Dholakia, 2012 (Cornell Hospitality Report)",
        (
            f"newcomers an offer brought: share buying again, not through an offer, within "
            f"{DEAL_RETURN.within_days:g} days"
        ),
        "restaurant-chain",
        "marketing-led",
        (Measure("newcomers who return", "fraction", _over_horizon(DEAL_RETURN), (0.25, 0.45), 0.35),),
    ),
)
