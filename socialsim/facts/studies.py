"""Virtual studies: the published studies' designs, done on simulated customers.

Each study reads only what a run writes to `events.parquet` (plus the thresholds a scenario
declares), so an analyst can redo it from the outputs alone. A study takes the events of one
replication and returns one figure; the suite turns the figures of the replications into a mean
and a 95% CI. Like the published studies, these are *observational*: they compare customers who
happened to get a reply with those who did not, holding the segment mix fixed, rather than
reading the model's parameters back.

Spend is measured as a customer's willingness to keep paying: the ratio of their first recurring
bill after a post to their last one before it (each customer is billed once every 30 days). The
ratio cancels how much each customer spends, so only what changed between the two bills — the
reply, and everything else that happened meanwhile — is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

SERVICE_INTENTS = ("question", "complaint")  # what customers post to a brand when they want something from it
BILLING_PERIOD_MINUTES = 30 * 1440.0  # every customer is billed once per 30 days (simulator/customers.py)


def service_posts(events: pd.DataFrame, intents: tuple[str, ...] = SERVICE_INTENTS) -> pd.DataFrame:
    """One row per post with the brand's answer to it: arm, customer, segment, intent, minute,
    replied, delay_minutes (first reply), helped, trust (right after the customer reacted)."""
    posts = events.loc[
        (events["kind"] == "conversation") & events["intent"].isin(intents),
        ["arm", "conversation_id", "customer", "segment", "intent", "minute"],
    ]
    answers = events.loc[
        events["kind"] == "response", ["arm", "conversation_id", "action", "delay_minutes", "helped", "trust"]
    ]
    joined = posts.merge(answers, on=["arm", "conversation_id"], how="inner", validate="one_to_one")
    joined["replied"] = joined["action"] != "none"
    joined["helped"] = joined["helped"].astype(bool)
    return joined.drop(columns="action")


def with_bill_ratio(posts: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Posts with `bill_ratio` = first bill after / last bill before, for posts that are the
    customer's only service post between those two bills (so one reply is all that is compared)."""
    bills = events.loc[
        (events["kind"] == "purchase") & (events["action"] == "recurring"),
        ["arm", "customer", "minute", "amount_dollars"],
    ]
    bills = bills.sort_values("minute", kind="stable")
    left = posts.sort_values("minute", kind="stable")
    before = pd.merge_asof(
        left,
        bills.rename(columns={"amount_dollars": "bill_before", "minute": "bill_before_minute"}),
        left_on="minute",
        right_on="bill_before_minute",
        by=["arm", "customer"],
        direction="backward",
    )
    both = pd.merge_asof(
        before.sort_values("minute", kind="stable"),
        bills.rename(columns={"amount_dollars": "bill_after", "minute": "bill_after_minute"}),
        left_on="minute",
        right_on="bill_after_minute",
        by=["arm", "customer"],
        direction="forward",
        tolerance=BILLING_PERIOD_MINUTES,  # type: ignore[arg-type]  # pandas-stubs: float keys take a float tolerance
    )
    both = both.dropna(subset=["bill_before", "bill_after"])
    both = both[both["bill_before"] > 0]
    # isolated: no other service post by the same customer in the same arm between the two bills
    same_gap = both.groupby(["arm", "customer", "bill_before_minute"])["conversation_id"].transform("size")
    both = both[same_gap == 1].copy()
    both["bill_ratio"] = both["bill_after"] / both["bill_before"]
    return both


def standardised_mean(frame: pd.DataFrame, column: str, mix: pd.Series) -> float:
    """Mean of `column` with segments weighted by `mix` (a share per segment), so two groups with
    different segment mixes are compared as if they had the same one. Segments absent from the
    group are dropped and the remaining weights renormalised."""
    by_segment = frame.groupby("segment")[column].mean()
    weights = mix.reindex(by_segment.index).fillna(0.0)
    if weights.sum() <= 0:
        return float("nan")
    return float((by_segment * weights).sum() / weights.sum())


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN where the denominator is 0 or NaN (a study with an empty group)."""
    return numerator / denominator if denominator and not np.isnan(denominator) else float("nan")


def segment_mix(frame: pd.DataFrame) -> pd.Series:
    return frame["segment"].value_counts(normalize=True)


@dataclass(frozen=True)
class SpendUplift:
    """Relative uplift in spend of customers whose post got a reply of a given speed, against
    customers whose post got none, at the segment mix of all the posts studied."""

    min_delay_minutes: float = 0.0
    max_delay_minutes: float = float("inf")

    def __call__(self, posts: pd.DataFrame) -> float:
        mix = segment_mix(posts)
        replied = posts[
            posts["replied"] & posts["delay_minutes"].between(self.min_delay_minutes, self.max_delay_minutes)
        ]
        unreplied = posts[~posts["replied"]]
        return (
            ratio(
                standardised_mean(replied, "bill_ratio", mix), standardised_mean(unreplied, "bill_ratio", mix)
            )
            - 1.0
        )


def reply_uplift(events: pd.DataFrame) -> float:
    """reply-wtp: spend uplift after any reply vs no reply [fraction]."""
    return SpendUplift()(with_bill_ratio(service_posts(events), events))


def uplift_ratio(of: SpendUplift, over: SpendUplift) -> Callable[[pd.DataFrame], float]:
    """A study: spend uplift of the replies `of` selects over that of the replies `over` selects [ratio]."""

    def study(events: pd.DataFrame) -> float:
        posts = with_bill_ratio(service_posts(events), events)
        return ratio(of(posts), over(posts))

    return study


def promoter_ratio(promoter_trust: float) -> Callable[[pd.DataFrame], float]:
    """recommend: share of promoters (trust >= promoter_trust right after the reply, or after
    giving up) among replied posters over that among unreplied ones [ratio]."""

    def study(events: pd.DataFrame) -> float:
        posts = service_posts(events)
        posts["promoter"] = (posts["trust"] >= promoter_trust).astype(float)
        mix = segment_mix(posts)
        return ratio(
            standardised_mean(posts[posts["replied"]], "promoter", mix),
            standardised_mean(posts[~posts["replied"]], "promoter", mix),
        )

    return study


WORD_OF_MOUTH_ORIGINS = ("talk", "reaction")


def wom_ratio(events: pd.DataFrame) -> float:
    """wom-ratio: positive over negative word of mouth, counted as East et al. counted it — what
    customers tell each other (chatter carrying a view, advocacy, rants). Praise and complaints
    addressed to the brand are *voice*, not word of mouth (Singh 1988), so they are left out
    although their authors' followers see them [ratio]."""
    wom = events[
        events["kind"].isin(("wom_positive", "wom_negative")) & events["action"].isin(WORD_OF_MOUTH_ORIGINS)
    ]
    kinds = wom["kind"].value_counts()
    return ratio(float(kinds.get("wom_positive", 0)), float(kinds.get("wom_negative", 0)))


def unanswered_complaints(events: pd.DataFrame) -> float:
    """typical-care: share of complaints never answered [fraction]."""
    complaints = service_posts(events, ("complaint",))
    return float((~complaints["replied"]).mean())


def median_first_reply(events: pd.DataFrame) -> float:
    """typical-care: median time to the first reply of answered complaints [minutes]."""
    complaints = service_posts(events, ("complaint",))
    return float(complaints.loc[complaints["replied"], "delay_minutes"].median())


@dataclass(frozen=True)
class SqueakyWheel:
    """squeaky-wheel: take each customer's first complaint that leaves `follow_up_days` of horizon;
    compare helped with unhelped complainers at the segment mix of all of them.

    `next_complaints` is the difference in complaints per customer per 30 days over the follow-up
    [1 / 30 days]; `trust` is the difference in trust right after the reply [trust]."""

    follow_up_days: float = 60.0

    def _complainers(self, events: pd.DataFrame, horizon_minutes: float) -> pd.DataFrame:
        complaints = service_posts(events, ("complaint",)).sort_values(
            ["minute", "conversation_id"], kind="stable"
        )
        first = complaints.drop_duplicates(["arm", "customer"], keep="first")
        first = first[first["minute"] <= horizon_minutes - self.follow_up_days * 1440.0]
        later = complaints.merge(
            first[["arm", "customer", "minute"]].rename(columns={"minute": "first_minute"}),
            on=["arm", "customer"],
        )
        window = later[
            (later["minute"] > later["first_minute"])
            & (later["minute"] <= later["first_minute"] + self.follow_up_days * 1440.0)
        ]
        counts = window.groupby(["arm", "customer"]).size().rename("next_complaints")
        first = first.merge(counts, left_on=["arm", "customer"], right_index=True, how="left").fillna(
            {"next_complaints": 0}
        )
        first["next_complaints"] = first["next_complaints"] * 30.0 / self.follow_up_days
        return first

    def differences(self, events: pd.DataFrame, horizon_minutes: float) -> tuple[float, float]:
        """(next-complaint rate, trust) of helped minus unhelped complainers; `horizon_minutes`
        is the run's length (world.horizon.days x 1440 in manifest.json)."""
        first = self._complainers(events, horizon_minutes)
        mix = segment_mix(first)
        helped, unhelped = first[first["helped"]], first[~first["helped"]]
        return (
            standardised_mean(helped, "next_complaints", mix)
            - standardised_mean(unhelped, "next_complaints", mix),
            standardised_mean(helped, "trust", mix) - standardised_mean(unhelped, "trust", mix),
        )

    def next_complaints(self, events: pd.DataFrame, horizon_minutes: float) -> float:
        return self.differences(events, horizon_minutes)[0]

    def trust(self, events: pd.DataFrame, horizon_minutes: float) -> float:
        return self.differences(events, horizon_minutes)[1]
