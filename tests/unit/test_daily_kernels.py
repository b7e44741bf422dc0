"""The compiled end of a day (`simulator.daily`) against the numpy formulation it replaced, on a
small world whose people sit near their churn and acquisition thresholds, some with churned close
ties and some deal-seekers: every array a day changes, the churners, the newcomers, the bills and
the kept lists of customers and prospects must be equal bit for bit, since a run reads them all."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import kernels
from simulator.customers import CHURNED, CUSTOMER, PROSPECT, Customers
from simulator.network import build_network
from simulator.population import build_population
from socialsim.contracts.timeunits import BILLING_CYCLE_DAYS, DAYS_PER_YEAR
from tests.conftest import small

# elasticities that are not powers of two, so that a product rounds and its order shows
REACTIONS = {"churn_contagion": 0.7, "churn_trust_elasticity": 3.7, "spend_trust_elasticity": 1.3}
DAYS = 4  # days run, over which the people near their thresholds cross them
STATE = ("status", "trust", "fatigue", "churn_cum", "acq_cum", "churned_followees", "deal_seeker")


def _customers(seed: int) -> Customers:
    """A world of a few hundred people in a random state: every status, trust off baseline,
    cumulative hazards and pulls just under their thresholds, a third with churned close ties."""
    world = small(customers=300, sets=[f"world.reactions.{k}={v}" for k, v in REACTIONS.items()]).world
    pop = build_population(world, seed=seed, replication=0)
    c = Customers(world, pop, build_network(world, pop, seed=seed, replication=0))
    rng = np.random.default_rng(seed)
    n = pop.size
    c.status[:] = rng.choice(np.array([PROSPECT, CUSTOMER, CHURNED], dtype=np.int8), n, p=[0.35, 0.55, 0.1])
    c.trust[:] = rng.random(n)
    c.fatigue[:] = rng.random(n) * 3
    c.churn_cum[:] = pop.churn_threshold - rng.random(n) * 0.02
    pull = c.r.organic_acquisition_per_year / DAYS_PER_YEAR
    c.acq_cum[:] = pop.acquisition_threshold - rng.random(n) * pull * DAYS
    c.churned_followees[:] = np.where(rng.random(n) < 0.3, rng.random(n) * 4, 0.0)
    c.deal_seeker[:] = rng.random(n) < 0.2
    return c


def _reference_hazard(c: Customers, nodes: np.ndarray) -> np.ndarray:
    gap = c.trust[nodes] - c.baseline[nodes]
    hazard = c.churn_per_day[nodes] * np.exp(-c.r.churn_trust_elasticity * gap)
    close_churned = c.churned_followees[nodes]
    tied = np.flatnonzero(close_churned)
    hazard[tied] *= np.power(1.0 + c.r.churn_contagion, close_churned[tied])
    return hazard


def _reference_end_of_day(c: Customers) -> tuple[np.ndarray, np.ndarray]:
    """`Customers.end_of_day` as numpy computed it, on `c` itself."""
    r = c.r
    c.fatigue *= math.exp(-1.0 / r.fatigue_recovery_days)
    drift = np.subtract(c.baseline, c.trust)
    drift *= 1.0 - math.exp(-1.0 / r.trust_memory_days)
    c.trust += drift
    active = np.flatnonzero(c.status == CUSTOMER).astype(np.int32)
    at = active.astype(np.intp)
    churn_cum = c.churn_cum[at] + _reference_hazard(c, at)
    c.churn_cum[at] = churn_cum
    churned = active[churn_cum >= c.pop.churn_threshold[at]]
    c.status[churned] = CHURNED
    kernels.churned_ties(churned, c.followees, r.close_ties, c.net.compiled_lists, c.churned_followees)
    prospects = np.flatnonzero(c.status == PROSPECT).astype(np.int32)
    at = prospects.astype(np.intp)
    acq_cum = c.acq_cum[at] + r.organic_acquisition_per_year / DAYS_PER_YEAR
    c.acq_cum[at] = acq_cum
    acquired = prospects[(acq_cum >= c.pop.acquisition_threshold[at]) & ~c.deal_seeker[at]]
    c.status[acquired] = CUSTOMER
    c.trust[acquired] = c.baseline[acquired]
    return churned, acquired


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit: same dtype, same shape, same bytes."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_days_equal_the_numpy_formulation(seed: int):
    compiled, reference = _customers(seed), _customers(seed)
    crossed = np.zeros(2, dtype=np.int64)  # churners, newcomers
    for day in range(DAYS):
        nodes = np.flatnonzero(reference.status == CUSTOMER)
        assert _same(compiled.churn_hazard_per_day(nodes), _reference_hazard(reference, nodes))
        d = day % BILLING_CYCLE_DAYS
        due = np.flatnonzero((reference.status == CUSTOMER) & (reference.pop.billing_day == d))
        bills = reference.pop.monthly_spend[due] * reference.spend_multiplier(due)
        got_due, got_bills = compiled.bill(day)
        assert _same(got_due, due) and _same(got_bills, bills)
        churned, acquired = compiled.end_of_day()
        want_churned, want_acquired = _reference_end_of_day(reference)
        assert _same(churned, want_churned) and _same(acquired, want_acquired)
        crossed += (len(churned), len(acquired))
        for name in STATE:
            assert _same(getattr(compiled, name), getattr(reference, name)), name
        assert _same(compiled.active(), np.flatnonzero(reference.status == CUSTOMER).astype(np.int32))
        assert _same(compiled.prospects(), np.flatnonzero(reference.status == PROSPECT).astype(np.int32))
        assert not compiled.active().flags.writeable and not compiled.prospects().flags.writeable
    assert crossed.min() > 0  # both rules were exercised
    assert np.count_nonzero(reference.churned_followees) > 0  # the contagion's power was taken
