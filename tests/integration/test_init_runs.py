"""A scenario written by `socialsim init --yes` runs: for each template, a tiny comparison of the arms
that were chosen, with the company, currency and horizon the flags gave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.scaffold.templates import TEMPLATES

runner = CliRunner()


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_an_init_scenario_runs_a_tiny_compare(tmp_path: Path, template: str) -> None:
    scenario = tmp_path / f"{template}.yaml"
    written = runner.invoke(
        app,
        ["init", "--yes", "--template", template, "--company", f"New {template} Co", "--currency", "EUR"]
        + ["--arms", "comms-led,support-led", "--out", str(scenario)],
    )
    assert written.exit_code == 0, written.output
    out = tmp_path / "run"
    flags = ["--customers", "300", "--days", "7", "--replications", "2", "--out", str(out), "--no-events"]
    ran = runner.invoke(app, ["compare", str(scenario), *flags])
    assert ran.exit_code == 0, ran.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == f"new-{template}-co"
    assert list(summary["arms"]) == ["comms-led", "support-led"]
    assert "EUR" in ran.output  # the money in the table is the currency init wrote
