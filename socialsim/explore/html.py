"""experiment.html: one self-contained page (plots inlined as PNG) saying which owner wins where.

For each metric: a win map over the two parameters that most decide the winner, the regret
table, the rules in sentences; then a parallel-coordinates plot of every point by its winner.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from socialsim.report import STYLE  # noqa: E402

from . import analysis  # noqa: E402
from .experiment import LoadedExperiment  # noqa: E402
from .rules import fit_tree  # noqa: E402

EXPLAIN = """<p><b>Win share</b>: we sampled {points} possible worlds (points) from the ranges below and
ran every arm in each on the same random numbers, {reps} times. An arm's win share is the share of those
worlds where it came out best on average. A high win share means the choice is safe across what we do not
know; a split share means the answer depends on the world, and the rules say on what.</p>
<p><b>Regret</b>: in each world, how much worse an arm did than the best arm there, in the metric's unit
(0 where it is the best). Mean regret is the expected cost of committing to that arm; the 90th percentile and
the maximum are what it costs when the world turns out badly for it. A robust choice has low regret
everywhere, even if it rarely wins outright.</p>"""


def png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _colors(arms: list[str]) -> dict[str, tuple[float, ...]]:
    cmap = plt.get_cmap("tab10")
    return {a: cmap(i % 10) for i, a in enumerate(arms)}


def win_map(
    table: pd.DataFrame,
    labels: np.ndarray,
    axes: list[str],
    arms: list[str],
    short: dict[str, Any],
    title: str,
) -> str:
    """Points coloured by winner over two parameters; the background shades the regions a tree on
    those two alone assigns to each arm (the other parameters averaged over)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5), dpi=90)
    colors = _colors(arms)
    x = table[axes[0]].to_numpy()
    y = table[axes[1]].to_numpy() if len(axes) > 1 else np.zeros(len(table))
    if len(axes) > 1 and len(set(labels)) > 1:
        tree = fit_tree(table[axes[:2]], labels)
        gx, gy = np.meshgrid(np.linspace(x.min(), x.max(), 120), np.linspace(y.min(), y.max(), 120))
        region = tree.predict(np.column_stack([gx.ravel(), gy.ravel()]))
        index = {a: i for i, a in enumerate(arms)}
        cmap = ListedColormap([colors[a] for a in arms])
        codes = np.array([index[str(r)] for r in region]).reshape(gx.shape)
        ax.pcolormesh(gx, gy, codes, cmap=cmap, vmin=-0.5, vmax=len(arms) - 0.5, alpha=0.15, shading="auto")
    for arm in arms:
        m = labels == arm
        if m.any():
            ax.scatter(x[m], y[m], color=colors[arm], label=arm, s=36, edgecolor="k", linewidth=0.3)
    ax.set_xlabel(short[axes[0]])
    ax.set_ylabel(short[axes[1]] if len(axes) > 1 else "")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", title="wins here")
    fig.tight_layout()
    return png(fig)


def parallel(
    table: pd.DataFrame, labels: np.ndarray, arms: list[str], short: dict[str, Any], title: str
) -> str:
    """Every point as a line across the parameters (each scaled to its range), coloured by winner."""
    scaled = (table - table.min()) / (table.max() - table.min()).replace(0, 1)
    frame = scaled.rename(columns=short).assign(winner=labels)
    fig, ax = plt.subplots(figsize=(8, 3.8), dpi=90)
    colors = _colors(arms)
    pd.plotting.parallel_coordinates(
        frame, "winner", ax=ax, color=[colors[a] for a in arms if a in set(labels)], alpha=0.5
    )
    ax.set_ylabel("position in range [0..1]")
    ax.set_title(title)
    fig.tight_layout()
    return png(fig)


def _fmt(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def render(exp: LoadedExperiment, results: pd.DataFrame, decision: dict[str, Any]) -> str:
    esc = html.escape
    short = {p.path: p.short for p in exp.parameters}
    params = [p.path for p in exp.parameters]
    parts = []
    for metric, d in decision["metrics"].items():
        means = analysis.point_means(results, metric, exp.arms)
        table = analysis.parameter_table(results, params).loc[means.index]
        labels = analysis.winner_labels(means, metric)
        direction = "higher" if d["higher_is_better"] else "lower"
        rows = "".join(
            f"<tr><th>{esc(a)}</th><td>{d['win_share'][a]:.0%}</td>"
            + "".join(f"<td>{_fmt(v)}</td>" for v in d["regret"][a].values())
            + "</tr>"
            for a in exp.arms
        )
        heads = "".join(f"<th>regret {esc(k)}</th>" for k in next(iter(d["regret"].values())))
        rules = "".join(f"<li>{esc(r['sentence'])}</li>" for r in d["rules"])
        top = d["influence"][:2]
        where = win_map(
            table, labels, top, exp.arms, short, f"Who wins {metric}, by the two deciding parameters"
        )
        lines = parallel(table, labels, exp.arms, short, f"Every point, coloured by who wins {metric}")
        parts.append(
            f"<h2>{esc(metric)} <small>({esc(d['unit'])}, {direction} is better)</small></h2>"
            f"<table><tr><th>arm</th><th>win share</th>{heads}</tr>{rows}</table>"
            f"<ul>{rules}</ul>"
            f"<img alt='win map {esc(metric)}' src='data:image/png;base64,"
            f"{where}'>"
            f"<img alt='parallel coordinates {esc(metric)}' src='data:image/png;base64,"
            f"{lines}'>"
        )
    ranges = "".join(
        f"<tr><th>{esc(p.path)}</th><td>{esc(p.kind)}</td><td>{_fmt(p.low)}</td><td>{_fmt(p.high)}</td></tr>"
        for p in exp.parameters
    )
    title = esc(exp.name)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>socialsim explore: {title}</title>
<style>{STYLE}</style></head><body>
<h1>{title}: which owner wins where</h1>
<p>scenario {esc(exp.spec.scenario)} · seed {exp.spec.seed} · {decision["points"]} points ·
{exp.spec.replications} replications per point · arms {esc(", ".join(exp.arms))}</p>
{EXPLAIN.format(points=decision["points"], reps=exp.spec.replications)}
<table><tr><th>parameter</th><th>kind</th><th>low</th><th>high</th></tr>{ranges}</table>
{"".join(parts)}
</body></html>
"""
