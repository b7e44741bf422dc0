"""report.html: one self-contained page (plots inlined as PNG) a strategist can mail around."""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections import defaultdict
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
from scipy import stats  # noqa: E402

from .comparison import SeriesRow, Summary  # noqa: E402
from .outcomes import METRICS  # noqa: E402
from .stats import winner  # noqa: E402

Floats = npt.NDArray[np.float64]
RowValue = Callable[[SeriesRow], float]

PLOTS: list[tuple[str, str, RowValue]] = [  # (title, y label, function of a series row)
    ("Cumulative revenue", "$", lambda r: r["revenue_dollars"]),
    ("Mean trust of active customers", "trust [0..1]", lambda r: r["mean_trust"]),
    (
        "Helped rate (did we help this person?)",
        "fraction",
        lambda r: r["helped"] / r["help_seeking"] if r["help_seeking"] else np.nan,
    ),
    ("NPS", "score", lambda r: r["nps"]),
    ("Churned customers (cumulative)", "people", lambda r: r["churned"]),
]


def _band(series: list[SeriesRow], arm: str, value: RowValue) -> tuple[Floats, Floats, Floats, Floats]:
    """Mean and 95% CI over replications at each recorded tick."""
    by_tick: dict[float, list[float]] = defaultdict(list)
    for row in series:
        if row["arm"] == arm:
            by_tick[row["minute"]].append(value(row))
    minutes = np.array(sorted(by_tick))
    vals = [np.array(by_tick[m], dtype=float) for m in minutes]
    with warnings.catch_warnings():  # early ticks may have no help-seeking posts yet (NaN rate)
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.array([np.nanmean(v) for v in vals])
        half = np.array(
            [
                stats.t.ppf(0.975, len(v) - 1) * np.nanstd(v, ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
                for v in vals
            ]
        )
    return minutes / 1440.0, mean, mean - half, mean + half


def _plot(series: list[SeriesRow], arms: list[str], title: str, ylabel: str, value: RowValue) -> str:
    fig, ax = plt.subplots(figsize=(7.5, 3.4), dpi=90)
    for arm in arms:
        days, mean, lo, hi = _band(series, arm, value)
        ax.plot(days, mean, label=arm, linewidth=1.4)
        ax.fill_between(days, lo, hi, alpha=0.2)
    ax.set_title(title)
    ax.set_xlabel("simulated day")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}th{text-align:left}"
    "td.win{background:#e6f4ea;font-weight:600}img{display:block;margin:1em 0}"
    "small{color:#666;font-weight:normal}"
)


def _fmt(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def render(summary: Summary, series: list[SeriesRow], description: str) -> str:
    arms = list(summary["arms"])
    esc = html.escape
    rows = []
    for metric, (unit, higher) in METRICS.items():
        best = winner(summary["arms"], metric, higher)
        cells = "".join(
            f"<td class='{'win' if a == best else ''}'>{_fmt(summary['arms'][a][metric]['mean'])}"
            f"<br><small>[{_fmt(summary['arms'][a][metric]['ci95'][0])}, "
            f"{_fmt(summary['arms'][a][metric]['ci95'][1])}]</small></td>"
            for a in arms
        )
        rows.append(
            f"<tr><th>{esc(metric)} <small>({esc(unit)}, "
            f"{'higher' if higher else 'lower'} is better)</small></th>{cells}</tr>"
        )
    paired = "".join(
        f"<tr><td>{esc(p['metric'])}</td><td>{esc(p['a'])}</td><td>{esc(p['b'])}</td><td>{_fmt(p['mean_diff'])}</td>"
        f"<td>[{_fmt(p['ci95'][0])}, {_fmt(p['ci95'][1])}]</td><td>{p['p_a_beats_b']:.3f}</td></tr>"
        for p in summary["paired"]
    )
    imgs = "".join(
        f"<img alt='{esc(t)}' src='data:image/png;base64,{_plot(series, arms, t, y, f)}'>"
        for t, y, f in PLOTS
    )
    title = esc(summary["scenario"])
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>socialsim: {title}</title>
<style>{STYLE}</style></head><body>
<h1>{esc(summary["scenario"])}</h1><p>{esc(description)}</p>
<p>seed {summary["seed"]} · {summary["replications"]} replications · transport {esc(summary["transport"])} ·
config sha256 <code>{summary["config_sha256"][:16]}</code></p>
<h2>Outcomes by arm</h2>
<p>Mean over replications with 95% confidence interval; the best arm per metric is shaded.</p>
<table><tr><th>metric</th>{"".join(f"<th>{esc(a)}</th>" for a in arms)}</tr>{"".join(rows)}</table>
<h2>Over time</h2><p>Mean over replications with 95% band.</p>{imgs}
<h2>Paired differences (A − B, per replication, common random numbers)</h2>
<table><tr><th>metric</th><th>A</th><th>B</th><th>mean A − B</th><th>95% CI</th><th>P(A beats B)</th></tr>
{paired}</table>
</body></html>"""
