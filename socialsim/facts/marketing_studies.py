"""Virtual studies of marketing's side and of the network: organic reach, a campaign holdout,
deal-seekers, unfollowing, how far bad news travels, and churn spreading between people.

Like `studies`, each reads only what a run writes: `events.parquet` (follow, unfollow, holdout,
broadcast, paid_reach, acquisition, lapse, churn and purchase rows) and, for contagion,
`network.parquet` (who follows whom). Each takes one replication and returns one figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .studies import WORD_OF_MOUTH_ORIGINS, ratio

DAY_MINUTES = 1440.0
LEAVING = ("unfollow", "churn", "lapse")  # what ends a person's following of the brand's account


def _first(events: pd.DataFrame, kind: str, name: str, action: str | None = None) -> pd.Series:
    rows = events[events["kind"] == kind]
    if action is not None:
        rows = rows[rows["action"] == action]
    return rows.groupby("customer")["minute"].min().rename(name)


def organic_reach(events: pd.DataFrame) -> float:
    """organic-reach: mean over broadcasts of the followers the organic post reached over the
    brand's followers at that minute (follows, less unfollows, churn and lapses since) [fraction]."""
    follows = events.loc[events["kind"] == "follow", ["customer", "minute"]].sort_values("minute")
    ends = events.loc[events["kind"].isin(LEAVING), ["customer", "minute"]].sort_values("minute")
    spans = pd.merge_asof(
        follows,
        ends.rename(columns={"minute": "end"}),
        left_on="minute",
        right_on="end",
        by="customer",
        direction="forward",
        allow_exact_matches=False,
    )
    start = np.sort(spans["minute"].to_numpy())
    end = np.sort(spans["end"].fillna(np.inf).to_numpy())
    posts = events[events["kind"] == "broadcast"]
    at = posts["minute"].to_numpy()
    following = np.searchsorted(start, at, side="right") - np.searchsorted(end, at, side="right")
    shares = posts["reach"].to_numpy(dtype=float) / np.maximum(following, 1)
    return float(shares.mean()) if len(shares) else float("nan")


@dataclass(frozen=True)
class CampaignLift:
    """campaign-lift: a randomised holdout. The brand's followers at the start are split by the
    world's counter-based uniform into those every broadcast skips (holdout rows) and the rest.
    In each `window_days` window, the share of each group making a purchase other than their
    recurring bill; the lift is exposed over held out, minus 1, pooled over the horizon's windows
    [fraction]."""

    window_days: float = 28.0

    def __call__(self, events: pd.DataFrame, horizon_minutes: float) -> float:
        followers = events.loc[(events["kind"] == "follow") & (events["action"] == "initial"), "customer"]
        held = set(events.loc[events["kind"] == "holdout", "customer"])
        group = pd.Series(followers.isin(held).to_numpy(), index=followers.to_numpy())
        buys = events[(events["kind"] == "purchase") & (events["action"] != "recurring")]
        buys = buys[buys["customer"].isin(group.index)]
        window = self.window_days * DAY_MINUTES
        windows = int(horizon_minutes // window)
        converted = buys[buys["minute"] < windows * window].assign(w=lambda b: b["minute"] // window)
        pairs = converted.drop_duplicates(["customer", "w"])
        held_out = pairs["customer"].map(group)
        rate_held = held_out.sum() / max(group.sum() * windows, 1)
        rate_exposed = (~held_out).sum() / max((~group).sum() * windows, 1)
        return ratio(rate_exposed, rate_held) - 1.0


def _offer_newcomers(events: pd.DataFrame) -> pd.Series:
    """First minute at which an offer brought each newcomer [minutes], by customer."""
    return _first(events, "acquisition", "joined", action="offer")


def deal_newcomers(events: pd.DataFrame) -> float:
    """deal-newcomers: share of redemptions of broadcast offers made by people who were not yet
    customers (the acquisition the offer caused is recorded at the same minute) [fraction]."""
    redeemed = events[
        (events["kind"] == "purchase") & (events["action"] == "offer") & events["conversation_id"].isna()
    ]
    joined = events[(events["kind"] == "acquisition") & (events["action"] == "offer")]
    new = redeemed.merge(joined[["customer", "minute"]], on=["customer", "minute"], how="inner")
    return ratio(float(len(new)), float(len(redeemed)))


@dataclass(frozen=True)
class DealReturn:
    """deal-return: of the newcomers an offer brought with `within_days` of horizon left, the
    share who buy again, other than through an offer, within `within_days` [fraction]."""

    within_days: float = 90.0

    def __call__(self, events: pd.DataFrame, horizon_minutes: float) -> float:
        window = self.within_days * DAY_MINUTES
        joined = _offer_newcomers(events)
        joined = joined[joined <= horizon_minutes - window]
        again = events[
            (events["kind"] == "purchase")
            & (events["action"] != "offer")
            & events["customer"].isin(joined.index)
        ]
        later = again.assign(joined=again["customer"].map(joined))
        later = later[(later["minute"] > later["joined"]) & (later["minute"] <= later["joined"] + window)]
        # a purchase after a further offer redemption was brought by that offer, not a return
        offers = events[(events["kind"] == "purchase") & (events["action"] == "offer")]
        offers = offers.assign(joined=offers["customer"].map(joined)).dropna(subset=["joined"])
        next_offer = offers[offers["minute"] > offers["joined"]].groupby("customer")["minute"].min()
        later = later[later["minute"] < later["customer"].map(next_offer).fillna(np.inf)]
        return ratio(float(later["customer"].nunique()), float(len(joined)))


def unfollow_reasons(events: pd.DataFrame) -> pd.Series:
    return events.loc[events["kind"] == "unfollow", "action"].value_counts(normalize=True)


def promotion_unfollow_share(events: pd.DataFrame) -> float:
    """promo-unfollow: share of unfollows whose reason is too many promotions [fraction]."""
    return float(unfollow_reasons(events).get("promotion", float("nan")))


def promotion_over_next_reason(events: pd.DataFrame) -> float:
    """promo-unfollow: share of the promotion reason over that of the most frequent other [ratio]."""
    shares = unfollow_reasons(events)
    others = shares.drop("promotion", errors="ignore")
    return ratio(float(shares.get("promotion", 0.0)), float(others.max()) if len(others) else float("nan"))


def negative_reach(events: pd.DataFrame) -> float:
    """negative-reach: mean reach (followers who saw it, retellings included) of negative word
    of mouth over that of positive, counted as wom-ratio counts word of mouth [ratio]."""
    wom = events[
        events["kind"].isin(("wom_positive", "wom_negative")) & events["action"].isin(WORD_OF_MOUTH_ORIGINS)
    ]
    reach = wom.groupby("kind")["reach"].mean()
    return ratio(float(reach.get("wom_negative", np.nan)), float(reach.get("wom_positive", np.nan)))


def churn_contagion(events: pd.DataFrame, network: pd.DataFrame, horizon_minutes: float) -> float:
    """churn-contagion: churn hazard of customers with at least one churned followee over that of
    customers with none, within segment (Mantel-Haenszel rate ratio over customer-time) [ratio].

    A customer is at risk from the start (or their acquisition) to their churn, lapse or the end;
    their exposed time begins when the first person they follow churns. A churn at the same
    minute as a followee's is unexposed: a day's churns are decided together."""
    rows = events[events["kind"].isin(("purchase", "churn", "acquisition")) & events["customer"].notna()]
    people = rows.drop_duplicates("customer").set_index("customer")["segment"]
    start = _first(events, "acquisition", "start").reindex(people.index).fillna(0.0)
    churn = _first(events, "churn", "churn").reindex(people.index)
    lapse = _first(events, "lapse", "lapse").reindex(people.index)
    end = pd.concat([churn, lapse], axis=1).min(axis=1).fillna(horizon_minutes).clip(upper=horizon_minutes)
    churned = _first(events, "churn", "churn")
    edges = network[network["author"].isin(churned.index)]
    exposed_at = (
        edges.assign(at=edges["author"].map(churned)).groupby("follower")["at"].min().reindex(people.index)
    )
    begins = np.maximum(start, exposed_at.fillna(np.inf))
    exposed_time = (end - begins).clip(lower=0.0)
    total = (end - start).clip(lower=0.0)
    frame = pd.DataFrame(
        {
            "segment": people,
            "t1": exposed_time,
            "t0": total - exposed_time,
            "d1": churn.notna() & (churn > exposed_at.fillna(np.inf)),
            "d0": churn.notna() & ~(churn > exposed_at.fillna(np.inf)),
        }
    )
    by = frame.groupby("segment")[["t1", "t0", "d1", "d0"]].sum()
    t = by["t1"] + by["t0"]
    return ratio(float((by["d1"] * by["t0"] / t).sum()), float((by["d0"] * by["t1"] / t).sum()))
