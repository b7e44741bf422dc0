"""A whole run through the CLI: the event log's bookkeeping, and every output file's shape."""

import json
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from scipy import stats
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.outcomes import INCREMENTAL, METRICS

DAYS, REPS = 7, 2


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(
        app,
        [
            "compare",
            "telecom-carrier",
            "--customers",
            "400",
            "--days",
            str(DAYS),
            "--replications",
            str(REPS),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "winner" in result.output and "report:" in result.output
    return out


def test_summary_has_the_public_shape(out):
    s = json.loads((out / "summary.json").read_text())
    assert set(s) == {
        "scenario",
        "seed",
        "replications",
        "transport",
        "config_sha256",
        "baseline",
        "arms",
        "paired",
        "segments",
    }
    assert s["baseline"]["name"] == "no-social"
    assert set(s["baseline"]["metrics"]) == set(METRICS) - set(INCREMENTAL)
    assert (s["scenario"], s["replications"], s["transport"]) == ("telecom-carrier", REPS, "inproc")
    assert set(s["arms"]) == {"marketing-led", "comms-led", "support-led", "captain-and-crew"}
    for metrics in s["arms"].values():
        assert set(metrics) == set(METRICS)
        assert all(set(m) == {"mean", "ci95"} and len(m["ci95"]) == 2 for m in metrics.values())
    assert len(s["paired"]) == 6 * len(METRICS)


def _revenue_by_replication(out) -> dict[str, np.ndarray]:
    """Each arm's revenue per replication, summed from the event log's purchases [dollars]."""
    ev = pq.read_table(out / "events.parquet").to_pandas().query("kind == 'purchase'")
    table = ev.groupby(["arm", "replication"])["amount_dollars"].sum().unstack()
    return {arm: table.loc[arm].to_numpy() for arm in table.index}


def _student_t(values: np.ndarray) -> tuple[float, float]:
    return stats.t.interval(0.95, df=len(values) - 1, loc=values.mean(), scale=stats.sem(values))


def test_intervals_and_win_chances_are_student_t_over_the_replications(out):
    """Recomputed from the per-replication revenues in the event log, not read back from the summary."""
    s = json.loads((out / "summary.json").read_text())
    revenue = _revenue_by_replication(out)
    for arm, values in revenue.items():
        assert s["arms"][arm]["revenue"]["ci95"] == pytest.approx(_student_t(values), rel=1e-9)
    for pair in (p for p in s["paired"] if p["metric"] == "revenue"):
        diff = revenue[pair["a"]] - revenue[pair["b"]]
        assert pair["mean_diff"] == pytest.approx(diff.mean(), rel=1e-9)
        assert pair["ci95"] == pytest.approx(_student_t(diff), rel=1e-9)
        p_a = stats.t.cdf(diff.mean() / stats.sem(diff), df=len(diff) - 1)  # more revenue is better
        assert pair["p_a_beats_b"] == pytest.approx(p_a, rel=1e-9)


def test_every_conversation_gets_exactly_one_decision_after_it_was_posted(out):
    ev = pq.read_table(out / "events.parquet")
    convs = ev.filter(pc.equal(ev["kind"], "conversation"))
    resp = ev.filter(pc.equal(ev["kind"], "response"))
    key = lambda t: sorted(zip(t["arm"].to_pylist(), t["conversation_id"].to_pylist(), strict=False))  # noqa: E731
    assert key(convs) == key(resp) and convs.num_rows > 100
    posted = {
        (a, c): m
        for a, c, m in zip(
            convs["arm"].to_pylist(),
            convs["conversation_id"].to_pylist(),
            convs["minute"].to_pylist(),
            strict=False,
        )
    }
    for a, c, m, d in zip(
        resp["arm"].to_pylist(),
        resp["conversation_id"].to_pylist(),
        resp["minute"].to_pylist(),
        resp["delay_minutes"].to_pylist(),
        strict=False,
    ):
        assert d >= 0 and m == pytest.approx(posted[(a, c)] + d)


def test_purchases_add_up_to_revenue_and_ids_are_unique(out):
    ev = pq.read_table(out / "events.parquet")
    s = json.loads((out / "summary.json").read_text())
    purchases = ev.filter(pc.equal(ev["kind"], "purchase"))
    for arm in s["arms"]:
        mine = purchases.filter(pc.equal(purchases["arm"], arm))
        assert pc.sum(mine["amount_dollars"]).as_py() / REPS == pytest.approx(
            s["arms"][arm]["revenue"]["mean"], rel=1e-6
        )
    ids = list(
        zip(ev["replication"].to_pylist(), ev["arm"].to_pylist(), ev["event_id"].to_pylist(), strict=False)
    )
    assert len(ids) == len(set(ids))


def test_series_has_a_row_per_arm_replication_and_tick(out):
    series = pq.read_table(out / "series.parquet")
    assert series.num_rows == 4 * REPS * DAYS * 24
    last = series.filter(pc.equal(series["tick"], DAYS * 24 - 1))
    s = json.loads((out / "summary.json").read_text())
    for arm in s["arms"]:
        rows = last.filter(pc.equal(last["arm"], arm))
        assert pc.mean(rows["revenue_dollars"]).as_py() == pytest.approx(
            s["arms"][arm]["revenue"]["mean"], rel=1e-9
        )


def test_word_of_mouth_reach_is_at_least_the_authors_followers_in_the_network(out):
    network = pq.read_table(out / "network.parquet")
    assert sorted(pc.unique(network["replication"]).to_pylist()) == list(range(REPS))
    followers = Counter(zip(network["replication"].to_pylist(), network["author"].to_pylist(), strict=False))
    events = pq.read_table(out / "events.parquet")
    wom = events.filter(pc.is_in(events["kind"], value_set=pa.array(["wom_positive", "wom_negative"])))
    assert wom.num_rows > 0
    pairs = zip(wom["replication"].to_pylist(), wom["customer"].to_pylist(), strict=False)
    direct = [followers[(rep, author)] for rep, author in pairs]
    reach = wom["reach"].to_pylist()
    # a post reaches its author's followers, plus the followers of those who retell it
    assert all(r >= d for r, d in zip(reach, direct, strict=True))
    assert any(r == d for r, d in zip(reach, direct, strict=True)) and sum(reach) > sum(direct)


def test_manifest_and_report(out):
    manifest = json.loads((out / "manifest.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert manifest["config_sha256"] == summary["config_sha256"] and manifest["versions"]["simpy"]
    assert manifest["resolved_config"]["arms"]["support-led"]["captain"] == "support"
    html = (out / "report.html").read_text()
    # five charts over time, three of differences from the first arm and one by segment, all inlined;
    # nothing fetched
    assert html.count("data:image/png;base64,") == 9 and "P(better)" in html and "src='http" not in html


def test_schema_command_exports_json_schema():
    result = CliRunner().invoke(app, ["schema", "strategy"])
    schema = json.loads(result.stdout)
    assert result.exit_code == 0 and "captain" in schema["properties"]
    assert "[hours / day]" in json.dumps(schema)
