"""Outputs never mix, never land outside where asked, and a bad --out fails before simulating.

Each case once failed after a whole simulation (with a traceback), wrote into the current folder
or outside runs/, or silently overwrote a run and left an older file beside a newer manifest.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.configload import SCENARIO_DIR, STRATEGY_DIR
from socialsim.outputs import json_text

TINY = ["--customers", "60", "--days", "2", "--replications", "2"]
# A run long enough that, had it started, the test would notice: a year of a large population.
LONG = ["--customers", "200000", "--days", "365", "--replications", "20"]
# Longest a refused --out may take [s]: no simulation, just a folder check.
REFUSAL_BOUND_S = 10.0


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def _refused_fast(*args: str) -> str:
    started = time.perf_counter()
    result = _cli("compare", "credit-card-issuer", *LONG, *args)
    assert time.perf_counter() - started < REFUSAL_BOUND_S, "it simulated before checking --out"
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def test_out_at_a_file_is_refused_before_simulating(tmp_path):
    (tmp_path / "file").write_text("mine")
    assert "is a file" in _refused_fast("--out", str(tmp_path / "file"))
    assert (tmp_path / "file").read_text() == "mine"


def test_out_under_a_file_is_refused_before_simulating(tmp_path):
    (tmp_path / "file").write_text("mine")
    assert "is a file" in _refused_fast("--out", str(tmp_path / "file" / "run"))


def test_out_where_nothing_can_be_written_is_refused_before_simulating():
    assert "cannot write there" in _refused_fast("--out", "/proc/socialsim-run")


def test_an_empty_out_is_refused_not_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "--out: empty" in _refused_fast("--out", "")
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_out_is_refused_without_force(tmp_path):
    (tmp_path / "summary.json").write_text("{}")
    assert "--force" in _refused_fast("--out", str(tmp_path))
    assert (tmp_path / "summary.json").read_text() == "{}"


def test_live_refuses_a_non_empty_out_too(tmp_path):
    (tmp_path / "summary.json").write_text("{}")
    result = _cli("live", "credit-card-issuer", "--metrics-port", "1", *TINY, "--out", str(tmp_path))
    assert result.exit_code == 2 and "--force" in result.output


def test_force_replaces_the_previous_run_and_leaves_none_of_its_files(tmp_path):
    out = tmp_path / "run"
    assert _cli("compare", "credit-card-issuer", *TINY, "--out", str(out)).exit_code == 0
    assert (out / "network.parquet").exists()
    first = json.loads((out / "manifest.json").read_text())["created_utc"]
    result = _cli("compare", "credit-card-issuer", *TINY, "--no-events", "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert not (out / "network.parquet").exists()  # the first run's, and this run wrote none
    assert json.loads((out / "manifest.json").read_text())["created_utc"] >= first


def test_force_never_deletes_files_that_no_run_writes(tmp_path):
    (tmp_path / "summary.json").write_text("{}")
    (tmp_path / "thesis.docx").write_text("years of work")
    output = _refused_fast("--out", str(tmp_path), "--force")
    assert "thesis.docx" in output
    assert (tmp_path / "thesis.docx").read_text() == "years of work"
    assert (tmp_path / "summary.json").exists()


@pytest.mark.parametrize("name", ["../../escaped", "ABSOLUTE"])
def test_a_scenario_name_cannot_steer_outputs_out_of_runs(tmp_path, monkeypatch, name):
    outside = tmp_path / "outside"
    work = tmp_path / "a" / "b"
    (work / "scenarios").mkdir(parents=True)
    shutil.copytree(STRATEGY_DIR, work / "strategies")
    data = yaml.safe_load((SCENARIO_DIR / "credit-card-issuer.yaml").read_text())
    data["name"] = str(outside) if name == "ABSOLUTE" else name
    scenario = work / "scenarios" / "s.yaml"
    scenario.write_text(yaml.safe_dump(data))
    monkeypatch.chdir(work)
    result = _cli("compare", str(scenario), *TINY)
    assert result.exit_code == 0, result.output
    (folder,) = (work / "runs").iterdir()
    assert (folder / "summary.json").exists() and folder.name.endswith(("escaped", "outside"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # nothing beside a/, no outside/


def test_validate_refuses_a_system_file_without_echoing_it():
    shadow = Path("/etc/shadow")
    if not shadow.is_file():
        pytest.skip("no /etc/shadow here")
    result = _cli("validate", str(shadow))
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "not a scenario or strategy file" in line and "root" not in line


def test_summary_json_cannot_hold_nan():
    with pytest.raises(ValueError, match=r"summary.json: arms.a.revenue.mean = nan"):
        json_text("summary.json", {"arms": {"a": {"revenue": {"mean": math.nan}}}})


def test_a_written_summary_is_strict_json(tmp_path):
    out = tmp_path / "run"
    assert _cli("compare", "credit-card-issuer", *TINY, "--no-events", "--out", str(out)).exit_code == 0

    def refuse(constant: str) -> float:
        raise AssertionError(f"summary.json holds {constant}")

    json.loads((out / "summary.json").read_text(), parse_constant=refuse)
