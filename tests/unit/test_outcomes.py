"""Incremental metrics against the no-social baseline, from hand-made per-replication figures:
incremental profit = margin x (revenue - baseline revenue) + (CLV - baseline CLV) - cost, and ROI is
incremental profit / cost, so cutting staff no longer buys ROI with the whole base's CLV."""

import pytest

from socialsim.outcomes import INCREMENTAL, METRICS, incremental
from socialsim.stats import summarise, summarise_baseline
from tests.conftest import small


@pytest.fixture(scope="module")
def world():
    return small().world


def test_incremental_figures_are_differences_from_the_baseline(world):
    margin = world.economics.gross_margin
    arm = {"revenue": 1_000.0, "clv": 50_000.0, "cost": 400.0}
    base = {"revenue": 900.0, "clv": 49_000.0}
    got = incremental(world, arm, base)
    assert got["incremental_revenue"] == pytest.approx(100.0)
    assert got["incremental_clv"] == pytest.approx(1_000.0)
    assert got["incremental_profit"] == pytest.approx(margin * 100.0 + 1_000.0 - 400.0)
    assert got["roi"] == pytest.approx(got["incremental_profit"] / 400.0)
    assert set(got) == set(INCREMENTAL) <= set(METRICS)


def test_the_whole_base_lifetime_value_no_longer_counts_as_a_return(world):
    """Two arms with the same customers' value: the cheaper one helped nobody and earns nothing over
    doing nothing, so its ROI is -1, not a huge ratio."""
    base = {"revenue": 900.0, "clv": 1_000_000.0}
    idle = incremental(world, {"revenue": 900.0, "clv": 1_000_000.0, "cost": 10.0}, base)
    assert idle["incremental_profit"] == pytest.approx(-10.0) and idle["roi"] == pytest.approx(-1.0)


def test_nothing_spent_gives_an_roi_of_zero(world):
    assert (
        incremental(world, {"revenue": 5.0, "clv": 5.0, "cost": 0.0}, {"revenue": 1.0, "clv": 1.0})["roi"]
        == 0
    )


def test_paired_differences_cover_the_incremental_metrics_and_the_baseline_its_own_figures():
    per_arm = {
        "a": {"incremental_profit": [10.0, 12.0, 14.0], "revenue": [1.0, 2.0, 3.0]},
        "b": {"incremental_profit": [5.0, 6.0, 7.0], "revenue": [1.0, 2.0, 3.0]},
    }
    _, paired = summarise(per_arm, {"incremental_profit": True, "revenue": True})
    (d,) = [p for p in paired if p["metric"] == "incremental_profit"]
    half = 4.302653 / 3**0.5  # Student t(0.975, 2) x sd 1 / sqrt(3): the pairs differ by 5, 6, 7
    assert (d["a"], d["b"], d["mean_diff"]) == ("a", "b", 6.0)
    assert d["ci95"] == pytest.approx([6.0 - half, 6.0 + half], rel=1e-6)
    base = summarise_baseline("no-social", {"revenue": [2.0, 4.0]})
    assert base["name"] == "no-social" and base["metrics"]["revenue"]["mean"] == 3.0
