"""Every comparison runs the no-social baseline beside its arms, on the same random numbers, and reads
each arm against it: summary.json carries the baseline and, per arm, incremental revenue, lifetime
value and profit, with ROI = incremental profit / cost in every replication."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.cli import app
from socialsim.comparison import run
from socialsim.outcomes import INCREMENTAL, METRICS
from socialsim.verdict import decide
from tests.conftest import small


@pytest.fixture(scope="module")
def result():
    return run(small(customers=300, days=10), inprocess_transport(), baseline=no_social(), keep_events=False)


def test_every_replication_reads_each_arm_against_the_baseline(result):
    margin = result.scenario.world.economics.gross_margin
    base = result.per_baseline
    n = result.scenario.replications
    assert result.baseline == "no-social" and all(len(v) == n for v in base.values())
    for arm, m in result.per_arm.items():
        for r in range(n):
            d_revenue, d_clv = m["revenue"][r] - base["revenue"][r], m["clv"][r] - base["clv"][r]
            assert m["incremental_revenue"][r] == pytest.approx(d_revenue), arm
            assert m["incremental_clv"][r] == pytest.approx(d_clv), arm
            profit = margin * d_revenue + d_clv - m["cost"][r]
            assert m["incremental_profit"][r] == pytest.approx(profit), arm
            assert m["roi"][r] == pytest.approx(m["incremental_profit"][r] / m["cost"][r]), arm


def test_the_baseline_answers_nothing_and_costs_nothing(result):
    base = result.per_baseline
    assert set(base) == set(METRICS) - set(INCREMENTAL)
    assert base["response_rate"] == [0.0] * result.scenario.replications
    assert base["helped_rate"] == [0.0] * result.scenario.replications
    assert base["cost"] == [0.0] * result.scenario.replications
    assert base["median_first_response_minutes"] == [24 * 60.0] * result.scenario.replications


def test_the_summary_carries_the_baseline_and_the_paired_incremental_metrics(result):
    summary = result.summary("sha")
    assert summary["baseline"]["name"] == "no-social"
    assert set(summary["baseline"]["metrics"]) == set(METRICS) - set(INCREMENTAL)
    for figures in summary["arms"].values():
        assert set(INCREMENTAL) <= set(figures)
    paired = {p["metric"] for p in summary["paired"]}
    assert set(INCREMENTAL) <= paired


def test_the_written_summary_and_the_verdict_use_incremental_profit(tmp_path):
    out = tmp_path / "run"
    args = ["compare", "credit-card-issuer", "--customers", "300", "--days", "10", "--replications", "2"]
    done = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary)[:6] == ["scenario", "seed", "replications", "transport", "config_sha256", "baseline"]
    assert decide(summary).objective == "incremental_profit"
    assert "incremental profit" in " ".join(done.output.split())  # the verdict, however rich wraps it
    assert "no-social (baseline)" in (out / "report.html").read_text()
