"""A run without events still breaks its outcomes down by segment: summary.json's `segments`,
the report's "By segment" section (scenario currency, rates as percentages) and segments.csv,
whose figures are summary.json's."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.segments import SEGMENT_METRICS

RUN = ["--customers", "300", "--days", "10", "--replications", "2", "--no-events"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("segments") / "run"
    result = CliRunner().invoke(
        app, ["compare", "telecom-carrier", *RUN, "--out", str(out), "--set", "world.currency=EUR"]
    )
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(out / "events.parquet").num_rows == 0  # --no-events: nothing recorded
    return out


def test_report_has_a_segment_section_in_the_scenario_currency(run_dir: Path):
    summary = json.loads((run_dir / "summary.json").read_text())
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="segments"><h2>By segment</h2>(.*?)</section>', page, re.DOTALL)
    assert section, "no By segment section"
    body = section.group(1)
    assert "<img alt='Revenue over the run by segment'" in body
    for name in summary["segments"]["segments"]:
        assert f"<th>{name} <small>" in body
    for arm in summary["arms"]:
        assert f"<th>{arm}</th>" in body
    assert f"<th>{summary['baseline']['name']} (baseline)</th>" in body
    assert re.search(r"\d EUR <small>", body) and "$" not in body
    assert re.search(r"\d% <small>", body)  # churn as a percentage
    assert re.search(r"<br><small>[+\u2212]\d[\d,]* EUR \[", body)  # an arm's difference from the baseline


def test_segments_csv_carries_every_figure_of_summary_json(run_dir: Path):
    summary = json.loads((run_dir / "summary.json").read_text())
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    link = re.search(r"download='segments.csv' href='data:text/csv;base64,([^']+)'", page)
    assert link
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(link.group(1)).decode())))
    seg = summary["segments"]
    assert len(rows) == len(seg["segments"]) * len(SEGMENT_METRICS) * len(seg["by_arm"])
    pairs = {(d["a"], d["segment"], d["metric"]): d for d in seg["against_baseline"]}
    for row in rows:
        stats = seg["by_arm"][row["arm"]][row["segment"]][row["metric"]]
        assert float(row["mean"]) == stats["mean"]
        assert [float(row["ci95_low"]), float(row["ci95_high"])] == stats["ci95"]
        d = pairs.get((row["arm"], row["segment"], row["metric"]))
        if row["arm"] == summary["baseline"]["name"]:
            assert d is None and row["diff_vs_baseline"] == ""
        else:
            assert float(row["diff_vs_baseline"]) == d["mean_diff"]
            assert float(row["p_better_than_baseline"]) == d["p_a_beats_b"]
