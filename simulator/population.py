"""Who exists in a replication: customers and prospects, drawn once and shared by every arm (CRN)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsim.contracts.timeunits import BILLING_CYCLE_DAYS
from socialsim.contracts.world import World

from .arrays import Bools, Floats, Int16s, Int32s, Int64s
from .rng import generator


@dataclass(frozen=True)
class Population:
    """One row per person (node). Customers first, then prospects. Arrays are read-only."""

    segment_names: tuple[str, ...]
    segment: Int16s  # index into segment_names
    is_customer: Bools  # a customer at the start
    followers: Int32s  # follower count drawn for the node
    monthly_spend: Floats  # $ / month at baseline trust
    churn_threshold: Floats  # Exp(1): churns when cumulative hazard passes it
    acquisition_threshold: Floats  # Exp(1): becomes a customer when cumulative pull passes it
    baseline_trust: Floats  # Beta-distributed around the segment's mean [0..1]
    billing_day: Int16s  # day of the billing cycle on which recurring spend is billed
    brand_follower: Bools  # follows the brand's account at the start (customers only)
    follows_when_customer: Bools  # would follow the brand's account while a customer

    @property
    def size(self) -> int:
        return len(self.segment)


def _allocate(total: int, shares: list[float]) -> Int64s:
    """Largest-remainder split of `total` by shares: exact counts, no sampling noise in the mix."""
    raw = np.array(shares, dtype=np.float64) * total
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def build_population(world: World, seed: int, replication: int) -> Population:
    rng = generator(seed, replication, "population")
    names = tuple(world.segments)
    segs = list(world.segments.values())
    shares = [s.share for s in segs]
    n_cust = world.population.customers
    n_pros = int(round(n_cust * world.population.prospects_per_customer))
    segment = np.concatenate(
        [
            np.repeat(np.arange(len(names), dtype=np.int16), _allocate(n_cust, shares)),
            np.repeat(np.arange(len(names), dtype=np.int16), _allocate(n_pros, shares)),
        ]
    )
    n = len(segment)
    is_customer = np.zeros(n, dtype=bool)
    is_customer[:n_cust] = True
    median = np.array([s.followers.median for s in segs])[segment]
    sigma = np.array([s.followers.sigma for s in segs])[segment]
    cap = np.array([s.followers.cap for s in segs])[segment]
    followers = np.minimum(
        np.rint(median * np.exp(sigma * rng.standard_normal(n))), np.minimum(cap, n - 1)
    ).astype(np.int32)
    spend_mu = np.array([s.monthly_spend_dollars for s in segs])[segment]
    spend_sigma = np.array([s.spend_sigma for s in segs])[segment]
    # mean-preserving lognormal: the segment's figure stays the average spend
    monthly_spend = spend_mu * np.exp(spend_sigma * rng.standard_normal(n) - spend_sigma**2 / 2)
    trust_mean = np.array([s.baseline_trust for s in segs])[segment]
    trust_k = np.array([s.trust_concentration for s in segs])[segment]
    baseline_trust = rng.beta(
        np.maximum(trust_mean * trust_k, 1e-6), np.maximum((1 - trust_mean) * trust_k, 1e-6)
    )
    churn_threshold = rng.exponential(1.0, n)
    acquisition_threshold = rng.exponential(1.0, n)
    billing_day = rng.integers(0, BILLING_CYCLE_DAYS, n).astype(np.int16)
    would_follow = rng.random(n) < world.population.brand_follower_share
    return Population(
        segment_names=names,
        segment=segment,
        is_customer=is_customer,
        followers=followers,
        monthly_spend=monthly_spend,
        churn_threshold=churn_threshold,
        acquisition_threshold=acquisition_threshold,
        baseline_trust=baseline_trust,
        billing_day=billing_day,
        brand_follower=is_customer & would_follow,
        follows_when_customer=would_follow,
    )
