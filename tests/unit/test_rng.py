"""`Counter`: the counter-based uniforms behind common random numbers (docs/architecture.md,
Invariants: Common random numbers, Determinism). A draw is a function of (replication, stream,
index, id) alone, so an arm's choices never shift another arm's luck."""

import numpy as np
from scipy import stats

from simulator.rng import Counter, mix

IDS = np.arange(100_000)
SIGNIFICANCE = 0.001  # the KS test may reject true uniformity this rarely (the draws are fixed, so never)


def test_the_same_key_gives_the_same_number_whatever_was_drawn_before():
    a, b = Counter(seed=7, replication=0), Counter(seed=7, replication=0)
    first = a.uniform("broadcast", 3, IDS)
    b.uniform("pitch", 0, IDS)  # another draw in between changes nothing
    assert np.array_equal(first, b.uniform("broadcast", 3, IDS))
    assert np.array_equal(first[[17, 4]], b.uniform("broadcast", 3, np.array([17, 4])))  # per id


def test_another_replication_seed_stream_or_index_gives_other_numbers():
    base = Counter(7, 0).uniform("broadcast", 3, IDS)
    others = {
        "replication": Counter(7, 1).uniform("broadcast", 3, IDS),
        "seed": Counter(8, 0).uniform("broadcast", 3, IDS),
        "stream": Counter(7, 0).uniform("pitch", 3, IDS),
        "index": Counter(7, 0).uniform("broadcast", 4, IDS),
    }
    for what, other in others.items():
        assert np.mean(base == other) < 1e-3, what
        assert abs(np.corrcoef(base, other)[0, 1]) < 0.02, what  # independent, not just shifted


def test_uniforms_lie_in_the_unit_interval_and_pass_a_ks_test():
    u = Counter(7, 0).uniform("pitch", 0, IDS)
    assert u.dtype == np.float64 and u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > SIGNIFICANCE
    consecutive = Counter(7, 0).uniform("pitch", 1, np.arange(1_000))  # neighbouring ids, too
    assert stats.kstest(consecutive, "uniform").pvalue > SIGNIFICANCE


def test_the_mix_is_splitmix64():
    """splitmix64 seeded with 0 outputs 0xE220A8397B1DCDAF, then 0x6E789E6AA1B965F4 (Vigna's
    reference code); `mix(x)` is its output from state x. Guards the compiled hash's uint64
    arithmetic (a step typed as int64 or float would change every draw)."""
    assert int(mix(np.uint64(0))) == 0xE220A8397B1DCDAF
    assert int(mix(np.uint64(0x9E3779B97F4A7C15))) == 0x6E789E6AA1B965F4
