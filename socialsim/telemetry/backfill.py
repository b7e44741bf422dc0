"""Backfill: a finished run's series as Prometheus blocks, so Grafana can show any run, not only a live one.

A run folder holds what the live metrics were read from, tick by tick: `series.parquet` (one row
per arm, replication and tick), `events.parquet` (every conversation, response, purchase...) and
`summary.json` (end-of-run means). Each catalogue metric is recomputed from them by a `Source`,
its replications combined as the catalogue's `across` says, and written as OpenMetrics with one
timestamp per tick; `promtool tsdb create-blocks-from openmetrics` turns that into TSDB blocks.
The series carry the same names and labels (`run`, `scenario`, `arm`, the metric's own) as a live
run's, so the dashboards query both alike. Metrics no output records are listed in `NOT_RECORDED`.

Time: a sample at simulated minute m lands at `created_utc + m * WALL_SECONDS_PER_SIM_MINUTE`.
One simulated day per wall minute keeps hourly ticks 2.5 s apart (finer than any scrape), puts a
30-day run in 30 minutes and a year in about 6 hours: inside one dashboard window, far inside
Prometheus' retention, and a few 2-hour blocks for promtool.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric as Family
from prometheus_client.openmetrics.exposition import generate_latest
from prometheus_client.registry import Collector

from socialsim.contracts.timeunits import MINUTES_PER_DAY, SECONDS_PER_MINUTE

from . import catalogue as c
from .collectors import add_readings, new_family
from .fold import HistogramReading, Reading
from .metric import Metric

# One simulated day per wall minute [wall s per simulated min]
WALL_SECONDS_PER_SIM_MINUTE = 60.0 / MINUTES_PER_DAY
# promtool's block length [h]: Prometheus' own head block length, so blocks compact as usual
BLOCK_DURATION_H = 2

KEYS = ["arm", "replication", "tick"]


class BackfillError(Exception):
    """A run folder that cannot be backfilled; the message names the file and what is wrong."""


@dataclass(frozen=True)
class RunOutputs:
    """The outputs of one finished run, as read from its folder."""

    folder: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]
    series: pd.DataFrame
    events: pd.DataFrame

    @property
    def grid(self) -> pd.DataFrame:
        """(arm, replication, tick) -> minute at the end of that tick: every reading's time."""
        return self.series[[*KEYS, "minute"]]


# Long frame: KEYS, the metric's label columns, and `value`; summed or averaged over replications.
Source = Callable[[RunOutputs], pd.DataFrame]


def _column(name: str, scale: float = 1.0) -> Source:
    return lambda run: run.series[KEYS].assign(value=run.series[name].astype(float) * scale)


def _valence(positive: str, negative: str) -> Source:
    def read(run: RunOutputs) -> pd.DataFrame:
        parts = [
            run.series[KEYS].assign(valence=v, value=run.series[col].astype(float))
            for v, col in (("positive", positive), ("negative", negative))
        ]
        return pd.concat(parts, ignore_index=True)

    return read


def _cumulative(kinds: tuple[str, ...], labels: Mapping[str, Callable[[pd.DataFrame], pd.Series]]) -> Source:
    """Events of `kinds` counted so far at the end of every tick, by `labels` (name -> column)."""

    def read(run: RunOutputs) -> pd.DataFrame:
        ev = run.events[run.events["kind"].isin(kinds)]
        ev = ev.assign(**{name: f(ev) for name, f in labels.items()})
        return _cumsum(run, ev.groupby([*KEYS, *labels]).size().rename("value").reset_index(), list(labels))

    return read


def _cumsum(run: RunOutputs, counts: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Per-tick counts -> totals so far, on every tick of the grid (zero before the first)."""
    grid = run.grid.set_index(KEYS).index
    if labels:
        wide = counts.pivot_table(index=KEYS, columns=labels, values="value", aggfunc="sum")
    else:
        wide = counts.set_index(KEYS)[["value"]]
    wide = wide.reindex(grid, fill_value=0).fillna(0).groupby(level=["arm", "replication"]).cumsum()
    if not labels:
        return wide.reset_index()
    long = wide.stack(list(range(len(labels))), future_stack=True)
    return long.to_frame("value").reset_index() if isinstance(long, pd.Series) else long.reset_index()


def _constant_label(value: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda ev: pd.Series(value, index=ev.index)


def _wom_valence(ev: pd.DataFrame) -> pd.Series:
    return ev["kind"].str.removeprefix("wom_")


def _department(ev: pd.DataFrame) -> pd.Series:
    return ev["department"].fillna("none")


SOURCES: dict[str, Source] = {
    c.SIM_TIME.name: _column("minute", SECONDS_PER_MINUTE),
    c.REVENUE.name: _column("revenue_dollars"),
    c.TRUST.name: _column("mean_trust"),
    c.NPS.name: _column("nps"),
    c.ACTIVE.name: _column("active_customers"),
    c.HELP_SEEKING.name: _column("help_seeking"),
    c.HELPED.name: _column("helped"),
    c.ANSWERED.name: _column("answered"),
    c.WOM_REACH.name: _valence("positive_wom_reach", "negative_wom_reach"),
    c.CONVERSATIONS.name: _cumulative(("conversation",), {"intent": lambda ev: ev["intent"]}),
    c.BROADCASTS.name: _cumulative(("broadcast",), {}),
    c.WOM_POSTS.name: _cumulative(("wom_positive", "wom_negative"), {"valence": _wom_valence}),
    c.CHURNED.name: _cumulative(("churn",), {"segment": lambda ev: ev["segment"]}),
    c.ACQUIRED.name: _cumulative(("acquisition",), {"segment": lambda ev: ev["segment"]}),
    c.DECISIONS.name: _cumulative(
        ("response",), {"department": _department, "action": lambda ev: ev["action"]}
    ),
    # a finished run's strategies handled every tick, so they got as far as the world did
    c.POLICY_TIME.name: _column("minute", SECONDS_PER_MINUTE),
}
# Known only at the end of a run, as the mean over replications in summary.json: one sample, at the end.
FINAL_ONLY = {
    c.CLV.name: "clv",
    c.COST.name: "cost",
    c.INCREMENTAL_REVENUE.name: "incremental_revenue",
    c.INCREMENTAL_CLV.name: "incremental_clv",
    c.INCREMENTAL_PROFIT.name: "incremental_profit",
    c.ROI.name: "roi",
}
# What no output of a run records, so a finished run cannot show it.
NOT_RECORDED = {
    c.BACKLOG.name: "queue lengths are sampled from the live policies and never written out",
    c.STAFF_ON_SHIFT.name: "department load is sampled from the live policies and never written out",
    c.STAFF_BUSY.name: "department load is sampled from the live policies and never written out",
    c.HANDOFFS.name: "responses carry hand-off counts to the policy meter only; events.parquet has none",
    c.DEAD_LETTERS.name: "dead letters are counted by the live services and never written out",
}
# Read from events.parquet, so left out of a run that kept no events
FROM_EVENTS = frozenset(
    {c.CONVERSATIONS.name, c.BROADCASTS.name, c.WOM_POSTS.name, c.CHURNED.name, c.ACQUIRED.name}
    | {c.DECISIONS.name, c.FIRST_RESPONSE.name}
)
NO_EVENTS = "events.parquet is empty (the run kept no events)"


def read_run(folder: Path) -> RunOutputs:
    """A run folder's outputs, or BackfillError naming the file that is missing or unreadable."""

    def load(name: str) -> Any:
        path = folder / name
        if not path.is_file():
            raise BackfillError(
                f"{path}: missing; give the folder of a finished run (socialsim compare --out)"
            )
        try:
            if name.endswith(".json"):
                return json.loads(path.read_text(encoding="utf-8"))
            return pq.read_table(path).to_pandas()
        except (OSError, ValueError) as exc:
            raise BackfillError(f"{path}: cannot be read: {exc}") from None

    manifest = load("manifest.json")
    for field in ("run_id", "scenario", "created_utc"):
        if not isinstance(manifest.get(field), str):
            raise BackfillError(
                f"{folder / 'manifest.json'}: {field}: missing; runs written before run ids existed "
                "cannot be labelled, run them again"
            )
    return RunOutputs(folder, manifest, load("summary.json"), load("series.parquet"), load("events.parquet"))


def _fold(m: Metric[Any], long: pd.DataFrame) -> pd.DataFrame:
    """Replications combined as the catalogue says: one value per arm, tick and label values."""
    return long.groupby(["arm", "tick", *m.labels], sort=True)["value"].agg(m.across).reset_index()


def _first_response(run: RunOutputs) -> dict[tuple[str, int], HistogramReading]:
    """Cumulative first-response histograms (answered responses' delays), mean over replications."""
    m = c.FIRST_RESPONSE
    ev = run.events[(run.events["kind"] == "response") & (run.events["action"] != "none")]
    seconds = ev["delay_minutes"].to_numpy(dtype=float) * SECONDS_PER_MINUTE
    columns = {f"b{k}": (seconds <= b).astype(float) for k, b in enumerate(m.buckets)}
    per_tick = ev[KEYS].assign(**columns, count=1.0, sum=seconds).groupby(KEYS).sum()
    so_far = (
        per_tick.reindex(run.grid.set_index(KEYS).index, fill_value=0.0)
        .groupby(level=["arm", "replication"])
        .cumsum()
        .groupby(level=["arm", "tick"])
        .mean()
    )
    return {
        (str(arm), int(tick)): HistogramReading(
            [float(row[f"b{k}"]) for k in range(len(m.buckets))], float(row["count"]), float(row["sum"])
        )
        for (arm, tick), row in zip(so_far.index, so_far.to_dict("records"), strict=True)
    }


def _readings(run: RunOutputs, m: Metric[Any]) -> dict[int, dict[str, Reading]] | None:
    """tick -> arm -> reading of `m`, or None when the outputs cannot give it."""
    out: dict[int, dict[str, Reading]] = {}
    if m.name in FROM_EVENTS and run.events.empty:
        return None
    if m.name == c.FIRST_RESPONSE.name:
        for (arm, tick), hist in _first_response(run).items():
            out.setdefault(tick, {})[arm] = hist
        return out
    if m.name in FINAL_ONLY:
        last = int(run.series["tick"].to_numpy().max())
        key = FINAL_ONLY[m.name]
        out[last] = {arm: {(): float(fig[key]["mean"])} for arm, fig in run.summary["arms"].items()}
        return out
    if m.name not in SOURCES:
        return None
    for row in _fold(m, SOURCES[m.name](run)).to_dict("records"):
        values = tuple(str(row[label]) for label in m.labels)
        by_arm = out.setdefault(int(row["tick"]), {}).setdefault(str(row["arm"]), {})
        assert isinstance(by_arm, dict)
        by_arm[values] = float(row["value"])
    return out


class _Families(Collector):
    def __init__(self, families: list[Family]):
        self.families = families

    def collect(self) -> Any:
        return iter(self.families)


def why_not(run: RunOutputs, name: str) -> str:
    """Why the catalogue metric `name` is not backfilled from this run."""
    return NOT_RECORDED.get(name, NO_EVENTS)


def openmetrics(run: RunOutputs) -> tuple[bytes, dict[str, str]]:
    """The run's series as OpenMetrics text with timestamps, and the catalogue metrics left out
    (name -> why)."""
    start = datetime.fromisoformat(run.manifest["created_utc"]).timestamp()
    minutes = run.grid.groupby("tick")["minute"].max()
    labels = {"run": run.manifest["run_id"], "scenario": run.manifest["scenario"]}
    families: list[Family] = []
    skipped: dict[str, str] = {}
    metrics: list[Metric[Any]] = [*c.OUTCOMES, *c.OPERATIONS]
    for m in metrics:
        readings = _readings(run, m)
        if readings is None:
            skipped[m.name] = why_not(run, m.name)
            continue
        family = new_family(m, labels)
        for tick in sorted(readings):
            at = start + float(minutes[tick]) * WALL_SECONDS_PER_SIM_MINUTE
            add_readings(family, m, labels, readings[tick], timestamp=round(at, 3))
        families.append(family)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    return generate_latest(registry), skipped  # type: ignore[no-untyped-call]  # untyped in the client


def write_openmetrics(run_folder: Path, path: Path) -> dict[str, str]:
    """The run's series as an OpenMetrics file, for a promtool elsewhere (e.g. in the Prometheus
    image, writing into its volume); returns the metrics left out, and why."""
    text, skipped = openmetrics(read_run(run_folder))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
    except OSError as exc:
        raise BackfillError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return skipped


def backfill(run_folder: Path, storage: Path, promtool: str | None = None) -> dict[str, str]:
    """Write the run's blocks into the TSDB folder `storage`; returns the metrics left out, and why."""
    tool = promtool or shutil.which("promtool")
    if tool is None:
        raise BackfillError("promtool: not found on PATH; install Prometheus (Debian: package prometheus)")
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "run.om"
        skipped = write_openmetrics(run_folder, text)
        storage.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                tool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                f"--max-block-duration={BLOCK_DURATION_H}h",
                str(text),
                str(storage),
            ],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise BackfillError(f"{run_folder}: promtool refused the series: {done.stderr.strip()[-500:]}")
    return skipped
