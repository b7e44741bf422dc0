"""After a backfill, the CLI says which dashboard shows the run's money, or how to make one: Grafana
units take no variables, so money dashboards come one per currency (`dashboards.render`)."""

from __future__ import annotations

import json
from pathlib import Path

from socialsim.cli.grafana import money_hint


def _run(folder: Path, currency: str) -> Path:
    folder.mkdir()
    manifest = {"run_id": "x", "resolved_config": {"world": {"currency": currency}}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_a_currency_with_dashboards_names_them(tmp_path: Path):
    hint = money_hint(_run(tmp_path / "usd", "USD"))
    assert hint == "money in USD: open the dashboards whose title ends (USD)"


def test_a_currency_without_dashboards_says_how_to_make_them(tmp_path: Path):
    hint = money_hint(_run(tmp_path / "eur", "EUR"))
    assert hint and "python -m dashboards --currency EUR" in hint


def test_a_run_that_does_not_say_its_currency_gets_no_hint(tmp_path: Path):
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    assert money_hint(tmp_path) is None
