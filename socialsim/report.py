"""report.html: one self-contained page (plots inlined as PNG, tables downloadable as CSV) that
a strategist can mail around. It opens with the verdict, then says what each arm *is* before
showing what it did, because staffing and hourly costs explain much of the outcome."""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from .comparison import SeriesRow, Summary
from .contracts.scenario import Scenario
from .contracts.strategy import Strategy
from .outcomes import METRICS
from .report_plots import DIFFERENCES, OVER_TIME, chart, segment_bars
from .segments import SEGMENT_METRICS
from .verdict import LABELS, amount, credible_winner, decide, describe, difference

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}th{text-align:left}"
    "td.win{background:#e6f4ea;font-weight:600}img{display:block;margin:1em 0}"
    "small{color:#666;font-weight:normal}#verdict{background:#f4f7fb;border-left:4px solid #1f77b4;"
    "padding:.6em 1em}.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ccc;"
    "padding:.5em 1em;min-width:230px}.card h3{margin:.2em 0}"
)

esc = html.escape


def csv_link(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A download link carrying the table as CSV, so the page stays one file."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    data = base64.b64encode(buf.getvalue().encode()).decode()
    return f"<a download='{esc(name)}' href='data:text/csv;base64,{data}'>download {esc(name)}</a>"


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[Sequence[str]] | None = None
) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = classes[i] if classes else [""] * len(row)
        cells = "".join(
            f"<th>{c}</th>" if j == 0 else f"<td class='{cls[j]}'>{c}</td>" for j, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def scale(sc: Scenario, summary: Summary, sets: list[str]) -> str:
    w = sc.world
    prospects = round(w.population.customers * w.population.prospects_per_customer)
    changed = (
        "".join(f"<li><code>{esc(s)}</code></li>" for s in sets) or "<li>none (the scenario as written)</li>"
    )
    return (
        f"<p>{esc(w.company)}: {w.population.customers:,} customers and {prospects:,} prospects, "
        f"{w.horizon.days} days in ticks of {w.horizon.tick_minutes} min, "
        f"{summary['replications']} replications "
        f"(seed {summary['seed']}), money in {esc(w.currency)}, transport {esc(summary['transport'])}, "
        f"config sha256 <code>{summary['config_sha256'][:16]}</code>.</p>"
        f"<p>Values changed for this run with <code>--set</code>:</p><ul>{changed}</ul>"
    )


def arm_card(arm: str, s: Strategy, sc: Scenario) -> str:
    """What an arm is: who owns the channel, who helps, how it is staffed and what that costs."""
    cost = sc.world.economics.staff_cost_dollars_per_hour
    currency = esc(sc.world.currency)
    staff = "".join(
        f"<li>{esc(d)}: {h:g} h/day at {cost.get(d, 0.0):g} {currency}/h</li>"
        for d, h in s.staff_hours_per_day.items()
    )
    daily = sum(h * cost.get(d, 0.0) for d, h in s.staff_hours_per_day.items())
    behaviours = [
        name
        for name, on in (
            ("panic button", s.panic.enabled),
            ("listening first", s.listening.enabled),
            ("value tiering", s.tiering.enabled),
        )
        if on
    ]
    return (
        f"<div class='card'><h3>{esc(arm)}</h3><p>{esc(s.description)}</p><ul>"
        f"<li>captain: {esc(s.captain)}; crew: {esc(', '.join(s.crew) or 'none')}</li>{staff}"
        f"<li>staff cost {daily:,.0f} {currency}/day; "
        f"shift {s.shift.start_hour}:00–{s.shift.end_hour}:00</li>"
        f"<li>tone {esc(s.tone)}; pitches {s.pitch_rate:.0%} of handled posts; "
        f"{s.broadcasts.per_week:g} campaigns/week ({s.broadcasts.offer_share:.0%} offers)</li>"
        f"<li>behaviours: {esc(', '.join(behaviours) or 'none')}</li></ul></div>"
    )


def _baseline_cell(summary: Summary, metric: str, currency: str) -> str:
    """The baseline's own figure; the incremental metrics and ROI are zero against itself by definition."""
    m = summary["baseline"]["metrics"].get(metric)
    if m is None:
        return "<small>the reference</small>"
    lo, hi = (amount(metric, x, currency) for x in m["ci95"])
    return f"{amount(metric, m['mean'], currency)}<br><small>[{lo}, {hi}]</small>"


def outcomes_table(summary: Summary, currency: str) -> str:
    arms = list(summary["arms"])
    base = summary["baseline"]["name"]
    rows, classes, data = [], [], []
    for metric, (_, higher) in METRICS.items():
        best = credible_winner(summary, metric)
        cells = [
            f"{esc(LABELS.get(metric, metric))} <small>({'higher' if higher else 'lower'} is better)</small>"
        ]
        for a in arms:
            m = summary["arms"][a][metric]
            lo, hi = (amount(metric, x, currency) for x in m["ci95"])
            cells.append(f"{amount(metric, m['mean'], currency)}<br><small>[{lo}, {hi}]</small>")
            data.append([metric, a, m["mean"], *m["ci95"]])
        if metric in summary["baseline"]["metrics"]:
            b = summary["baseline"]["metrics"][metric]
            data.append([metric, base, b["mean"], *b["ci95"]])
        cells += [_baseline_cell(summary, metric, currency), esc(best or "—")]
        rows.append(cells)
        classes.append(["", *("win" if a == best else "" for a in arms), "", ""])
    table = _table(["metric", *arms, f"{base} (baseline)", "credible winner"], rows, classes)
    return table + csv_link("outcomes.csv", ["metric", "arm", "mean", "ci95_low", "ci95_high"], data)


def paired_table(summary: Summary, currency: str) -> str:
    """Each pair once per metric, better arm first; credible differences first, largest first."""
    diffs = []
    for p in summary["paired"]:
        d = difference(summary, p["metric"], p["a"], p["b"])
        diffs.append(d if d.p_a_better >= 0.5 else difference(summary, p["metric"], p["b"], p["a"]))
    diffs.sort(key=lambda d: (not d.credible, -abs(d.relative or 0.0)))
    rows = [
        [
            esc(LABELS.get(d.metric, d.metric)),
            esc(d.a),
            esc(d.b),
            "n/a" if d.relative is None else f"{d.relative:+.1%}",
            f"{amount(d.metric, d.mean, currency)} [{amount(d.metric, d.ci95[0], currency)}, "
            f"{amount(d.metric, d.ci95[1], currency)}]",
            f"{d.p_a_better:.2f}",
            "yes" if d.credible else "no",
        ]
        for d in diffs
    ]
    shown = [r for r, d in zip(rows, diffs, strict=True) if d.credible]
    rest = [r for r, d in zip(rows, diffs, strict=True) if not d.credible]
    header = ["metric", "better arm", "than", "relative", "difference [95% CI]", "P(better)", "credible"]
    data = [[d.metric, d.a, d.b, d.mean, *d.ci95, d.p_a_better, d.credible] for d in diffs]
    return (
        _table(header, shown)
        + (
            f"<details><summary>{len(rest)} differences this run does not separate</summary>"
            f"{_table(header, rest)}</details>"
            if rest
            else ""
        )
        + csv_link(
            "paired.csv",
            ["metric", "a", "b", "mean_diff", "ci95_low", "ci95_high", "p_a_better", "credible"],
            data,
        )
    )


# The figures the segment table shows, with their short row labels (summary.json and segments.csv
# carry all of SEGMENT_METRICS).
SEGMENT_TABLE = {
    "revenue": "revenue",
    "monthly_revenue": "revenue / month",
    "trust": "trust",
    "churn_rate": "churn",
}


def _signed(metric: str, x: float, currency: str) -> str:
    """A difference in its metric's unit, with its sign."""
    return ("+" if x >= 0 else "\u2212") + amount(metric, abs(x), currency)


def segment_table(summary: Summary, currency: str) -> str:
    """Each segment's revenue (over the run, and per month at the end), trust and churn by arm and
    for the baseline, each arm with its paired difference from the baseline (shaded where credibly
    better), and segments.csv with every segment figure."""
    seg = summary["segments"]
    base = summary["baseline"]["name"]
    who = list(seg["by_arm"])
    diffs = {(d["a"], d["segment"], d["metric"]): d for d in seg["against_baseline"]}
    rows, classes, data = [], [], []
    for name in seg["segments"]:
        for metric, label in SEGMENT_TABLE.items():
            cells, shade = [f"{esc(name)} <small>{esc(label)}</small>"], [""]
            for w in who:
                m = seg["by_arm"][w][name][metric]
                lo, hi = (amount(metric, x, currency) for x in m["ci95"])
                cell = f"{amount(metric, m['mean'], currency)} <small>[{lo}, {hi}]</small>"
                d = diffs.get((w, name, metric))
                if d:
                    dlo, dhi = (_signed(metric, x, currency) for x in d["ci95"])
                    cell += f"<br><small>{_signed(metric, d['mean_diff'], currency)} [{dlo}, {dhi}]</small>"
                cells.append(cell)
                better = d is not None and (d["ci95"][0] > 0 or d["ci95"][1] < 0) and d["p_a_beats_b"] > 0.5
                shade.append("win" if better else "")
            rows.append(cells)
            classes.append(shade)
        for metric in SEGMENT_METRICS:
            for w in who:
                m, d = seg["by_arm"][w][name][metric], diffs.get((w, name, metric))
                versus = [d["mean_diff"], *d["ci95"], d["p_a_beats_b"]] if d else ["", "", "", ""]
                data.append([name, metric, w, m["mean"], *m["ci95"], *versus])
    header = ["segment", *(f"{w} (baseline)" if w == base else w for w in who)]
    columns = ["segment", "metric", "arm", "mean", "ci95_low", "ci95_high"]
    versus_columns = ["diff_vs_baseline", "diff_ci95_low", "diff_ci95_high", "p_better_than_baseline"]
    return _table(header, rows, classes) + csv_link("segments.csv", [*columns, *versus_columns], data)


def _img(alt: str, png_base64: str) -> str:
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{png_base64}'>"


def render(summary: Summary, series: list[SeriesRow], sc: Scenario, sets: list[str]) -> str:
    arms = list(summary["arms"])
    currency = sc.world.currency
    verdict = describe(decide(summary), summary, currency)
    reference = arms[0]
    over_time = "".join(
        _img(t, chart(series, arms, t, y.format(currency=currency), f)) for t, y, f in OVER_TIME
    )
    differences = "".join(
        _img(
            f"{t}: difference from {reference}",
            chart(
                series, arms, f"{t}: difference from {reference}", y.format(currency=currency), f, reference
            ),
        )
        for t, y, f in DIFFERENCES
    )
    segments = (
        _img(
            "Revenue over the run by segment",
            segment_bars(
                summary["segments"],
                list(summary["segments"]["by_arm"]),
                "revenue",
                "Revenue over the run, by segment",
                currency,
            ),
        )
        + segment_table(summary, currency)
        if summary["segments"]["segments"]
        else "<p>This run has no segment figures.</p>"
    )
    cards = "".join(arm_card(a, sc.arms[a], sc) for a in arms if a in sc.arms)
    title = esc(summary["scenario"])
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>socialsim: {title}</title>
<style>{STYLE}</style></head><body>
<h1>Who should own social media at {esc(sc.world.company)}?</h1><p>{esc(sc.description)}</p>
<section id="verdict"><h2>Verdict</h2><p>{esc(verdict)}</p>
<p><small>A difference is credible when its paired 95% confidence interval (same customers and luck in every
arm, difference taken per replication) excludes zero.</small></p></section>
<h2>Scale</h2>{scale(sc, summary, sets)}
<h2>The arms</h2><div class="cards">{cards}</div>
<h2>Outcomes by arm</h2>
<p>Mean over replications with 95% confidence interval; an arm is shaded only where it is credibly better
than every other arm. The last column is the {esc(summary["baseline"]["name"])} baseline: the same
customers and luck, with a brand that neither answers nor broadcasts on social media. Incremental revenue,
lifetime value and profit are each arm's figure minus the baseline's, replication by replication;
incremental profit is margin &times; incremental revenue + incremental lifetime value &minus; cost, and
ROI is incremental profit / cost.</p>{outcomes_table(summary, currency)}
<section id="segments"><h2>By segment</h2>
<p>Each segment at the end of the horizon, by arm and for the {esc(summary["baseline"]["name"])} baseline:
the recurring revenue its remaining customers bring in a month (their spend at their trust then), their
mean trust, and churn (customers lost / customers at the start plus acquisitions). Mean over replications
with 95% confidence interval; under each arm, its difference from the baseline, paired per replication
(same customers and luck), with 95% CI, shaded where the arm is credibly better. The segments add up to
the arm: customers lost and remaining sum to the arm's, and trust weighted by remaining customers gives
the arm's trust.</p>
{segments}</section>
<h2>Differences over time</h2><p>Each arm minus {esc(reference)}, paired per replication, with 95% band.</p>
{differences}
<h2>Over time</h2><p>Mean over replications with 95% band.</p>{over_time}
<h2>Paired differences</h2>{paired_table(summary, currency)}
</body></html>"""
