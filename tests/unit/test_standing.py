"""A series row's trust and NPS, read in one compiled pass (`measures.trust_and_nps_of`), against
the numpy reading of the same customers: equal bit for bit, thresholds included (a promoter is at or
above, a detractor strictly below)."""

from __future__ import annotations

import numpy as np

from simulator.measures import trust_and_nps, trust_and_nps_of


def test_the_compiled_reading_equals_numpys() -> None:
    rng = np.random.default_rng(4)
    trust = rng.choice([0.3, 0.6, 0.9], 50_000) + rng.choice([0.0, 1e-12, -1e-12], 50_000)
    customers = np.flatnonzero(rng.random(50_000) < 0.6).astype(np.int32)
    expected = trust_and_nps(trust[customers], 0.9, 0.6)
    got = trust_and_nps_of(trust, customers, 0.9, 0.6)
    assert got == expected and -100 < got[1] < 100 and got[1] != 0
    assert trust_and_nps_of(trust, customers[:0], 0.9, 0.6) == (0.0, 0.0)
