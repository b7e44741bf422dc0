"""A finished run, backfilled with `socialsim prometheus backfill`, read back from a real Prometheus.

Real parts only: a small `compare` run through the CLI, Debian's promtool writing the blocks, and
Debian's Prometheus serving them over its HTTP API; queried at the backfilled timestamps.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from socialsim.telemetry import catalogue
from socialsim.telemetry.backfill import NOT_RECORDED, WALL_SECONDS_PER_SIM_MINUTE
from tests.conftest import socialsim

ARMS = ["marketing-led", "comms-led", "support-led", "captain-and-crew"]


def query(prometheus: str, expr: str, at: float | None = None) -> list[dict]:
    params = {"query": expr, **({"time": f"{at:.3f}"} if at is not None else {})}
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", (expr, body)
    return body["data"]["result"]


def _times(run: Path) -> tuple[dict, float, float]:
    manifest = json.loads((run / "manifest.json").read_text())
    start = datetime.fromisoformat(manifest["created_utc"]).timestamp()
    series = pq.read_table(run / "series.parquet").to_pandas()
    return manifest, start, float(series["minute"].max())


def test_every_arm_of_every_recomputable_metric_at_the_backfilled_times(backfilled):
    manifest, start, last_minute = _times(backfilled["run"])
    end = start + last_minute * WALL_SECONDS_PER_SIM_MINUTE
    selector = f'{{run="{manifest["run_id"]}", scenario="credit-card-issuer"}}'
    problems = []
    for m in [*catalogue.OUTCOMES, *catalogue.OPERATIONS]:
        if m.name in NOT_RECORDED:
            continue
        name = f"{m.name}_count" if m.kind == "histogram" else m.name
        arms = {r["metric"]["arm"] for r in query(backfilled["prometheus"], f"{name}{selector}", end)}
        if arms != set(ARMS):
            problems.append(f"{name}: series for {sorted(arms)} at {end}")
    assert problems == [], "\n".join(problems)
    # each left-out metric is named with its reason, and is indeed absent
    for name, why in NOT_RECORDED.items():
        assert f"{name}: {why}" in backfilled["output"].replace("\n  ", " ")
        assert query(backfilled["prometheus"], f"{name}{selector}", end) == []


def test_values_and_timestamps_follow_the_run(backfilled):
    manifest, start, last_minute = _times(backfilled["run"])
    summary = json.loads((backfilled["run"] / "summary.json").read_text())
    series = pq.read_table(backfilled["run"] / "series.parquet").to_pandas()
    prom, run_id = backfilled["prometheus"], manifest["run_id"]
    end = start + last_minute * WALL_SECONDS_PER_SIM_MINUTE
    for arm in ARMS:
        sel = f'{{run="{run_id}", arm="{arm}"}}'
        # the last tick lands at start + simulated time, one simulated day per wall minute
        (clock,) = query(prom, f"timestamp({catalogue.SIM_TIME.name}{sel})", end)
        assert float(clock["value"][1]) == pytest.approx(end, abs=0.01)
        # revenue is the mean over replications, as a live run's collector exposes it
        (revenue,) = query(prom, f"{catalogue.REVENUE.name}{sel}", end)
        assert float(revenue["value"][1]) == pytest.approx(summary["arms"][arm]["revenue"]["mean"], rel=1e-6)
        # a day into the run, the revenue of the tick ending then
        day = series[(series.arm == arm) & (series.minute == 1440.0)]
        (early,) = query(prom, f"{catalogue.REVENUE.name}{sel}", start + 1440.0 * WALL_SECONDS_PER_SIM_MINUTE)
        assert float(early["value"][1]) == pytest.approx(day["revenue_dollars"].mean(), rel=1e-6)


def test_a_folder_without_a_run_is_one_line_and_exit_2(tmp_path):
    done = socialsim("prometheus", "backfill", str(tmp_path), "--storage", str(tmp_path / "tsdb"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "manifest.json: missing" in done.stderr, done.stderr


def test_openmetrics_text_for_another_promtool_and_exactly_one_destination(backfilled, tmp_path):
    """`--openmetrics` (what `make up` hands the Prometheus image's promtool) holds the same series."""
    text = tmp_path / "run.om"
    done = socialsim("prometheus", "backfill", str(backfilled["run"]), "--openmetrics", str(text))
    assert done.returncode == 0, done.stderr
    body = text.read_text()
    assert body.endswith("# EOF\n") and f'run="{_times(backfilled["run"])[0]["run_id"]}"' in body
    neither = socialsim("prometheus", "backfill", str(backfilled["run"]))
    assert neither.returncode == 2 and "give one of --storage" in neither.stderr
