"""The report's charts: each arm over time with its 95% band, and each arm's paired difference
from a reference arm over time (lines that overlap in absolute terms separate in differences).

Arm colours come from `socialsim.palette`, shared with the Grafana dashboards.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
from scipy import stats  # noqa: E402

from .comparison import SeriesRow  # noqa: E402
from .contracts.timeunits import MINUTES_PER_DAY  # noqa: E402
from .palette import colour  # noqa: E402
from .segments import SegmentStats  # noqa: E402

Floats = npt.NDArray[np.float64]
RowValue = Callable[[SeriesRow], float]


def _helped_rate(r: SeriesRow) -> float:
    return r["helped"] / r["help_seeking"] if r["help_seeking"] else float("nan")


# (title, y label, value of a series row); "{currency}" is filled in with the scenario's
OVER_TIME: list[tuple[str, str, RowValue]] = [
    ("Cumulative revenue", "{currency}", lambda r: r["revenue_dollars"]),
    ("Mean trust of active customers", "trust [0..1]", lambda r: r["mean_trust"]),
    (
        "Share of people helped (did we help this person?)",
        "% of help-seeking posts",
        lambda r: 100 * _helped_rate(r),
    ),
    ("NPS", "score", lambda r: r["nps"]),
    ("Churned customers (cumulative)", "people", lambda r: r["churned"]),
]
DIFFERENCES = [OVER_TIME[0], OVER_TIME[1], OVER_TIME[2]]


def _interval(values: list[Floats]) -> tuple[Floats, Floats]:
    """Mean and Student-t 95% half-width of each group (NaN-tolerant: early ticks may have no rate)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.array([np.nanmean(v) for v in values])
        half = np.array(
            [
                stats.t.ppf(0.975, len(v) - 1) * np.nanstd(v, ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
                for v in values
            ]
        )
    return mean, half


def _by_tick(series: list[SeriesRow], arm: str, value: RowValue) -> dict[float, dict[int, float]]:
    out: dict[float, dict[int, float]] = defaultdict(dict)
    for row in series:
        if row["arm"] == arm:
            out[row["minute"]][row["replication"]] = value(row)
    return out


def band(
    series: list[SeriesRow], arm: str, value: RowValue, reference: str | None = None
) -> tuple[Floats, ...]:
    """Days, mean and 95% band over replications at each recorded tick; with `reference`, of the
    paired per-replication difference arm − reference."""
    mine = _by_tick(series, arm, value)
    ref = _by_tick(series, reference, value) if reference else None
    minutes = np.array(sorted(mine))
    groups = []
    for m in minutes:
        reps = mine[m]
        groups.append(
            np.array([v - (ref[m][r] if ref else 0.0) for r, v in sorted(reps.items())], dtype=float)
        )
    mean, half = _interval(groups)
    return minutes / MINUTES_PER_DAY, mean, mean - half, mean + half


def _png(fig: Any) -> str:
    """The figure as a base64 PNG for an <img> data URI; the figure is closed."""
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def segment_bars(segments: SegmentStats, who: list[str], metric: str, title: str, ylabel: str) -> str:
    """One group of bars per segment, one bar per arm (and the baseline), with 95% CI whiskers."""
    names = segments["segments"]
    fig, ax = plt.subplots(figsize=(7.5, 3.0), dpi=90)
    width = 0.8 / max(len(who), 1)
    for k, arm in enumerate(who):
        stats = [segments["by_arm"][arm][name][metric] for name in names]
        mean = np.array([s["mean"] for s in stats])
        low, high = np.array([s["ci95"][0] for s in stats]), np.array([s["ci95"][1] for s in stats])
        x = np.arange(len(names)) + (k - (len(who) - 1) / 2) * width
        ax.bar(x, mean, width, yerr=[mean - low, high - mean], capsize=2, label=arm, color=colour(arm, who))
    ax.set_xticks(np.arange(len(names)), names)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def chart(
    series: list[SeriesRow],
    arms: list[str],
    title: str,
    ylabel: str,
    value: RowValue,
    reference: str | None = None,
) -> str:
    """A PNG, base64-encoded for an <img> data URI."""
    fig, ax = plt.subplots(figsize=(7.5, 3.4), dpi=90)
    for arm in arms:
        if arm == reference:
            continue
        days, mean, lo, hi = band(series, arm, value, reference)
        ax.plot(days, mean, label=arm, linewidth=1.4, color=colour(arm, arms))
        ax.fill_between(days, lo, hi, alpha=0.2, color=colour(arm, arms))
    if reference:
        ax.axhline(
            0.0, color=colour(reference, arms), linewidth=1.0, linestyle="--", label=f"{reference} (zero)"
        )
    ax.set_title(title)
    ax.set_xlabel("simulated day")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return _png(fig)
