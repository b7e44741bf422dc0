"""Bad input exits 2 with one line per error naming file and field path; no traceback
(docs/architecture.md, Invariants: Bad input is refused cleanly)."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.configload import SCENARIO_DIR, STRATEGY_DIR


def _write(
    tmp: Path, mutate, source: Path = SCENARIO_DIR / "credit-card-issuer.yaml", name="scenario.yaml"
) -> Path:
    data = yaml.safe_load(source.read_text())
    mutate(data)
    path = tmp / name
    path.write_text(yaml.safe_dump(data))
    return path


def _run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def _set(data, path, value):
    *head, last = path
    for key in head:
        data = data[key]
    data[last] = value


CASES = {
    "unknown strategy": (
        lambda d: _set(d, ["arms", 0, "strategy"], "growth-hacker-led"),
        ["arms[0].strategy", "growth-hacker-led", "known:"],
    ),
    "shares not summing to 1": (
        lambda d: _set(d, ["world", "segments", "newlyweds", "share"], 0.5),
        ["world", "segment shares must sum to 1"],
    ),
    "misspelt key": (
        lambda d: _set(d, ["world", "population"], {"customerz": 10}),
        ["world.population.customerz", "unknown key", "customers"],
    ),
    "wrong type": (
        lambda d: _set(d, ["world", "horizon", "days"], "half a year"),
        ["world.horizon.days", "half a year"],
    ),
    "unknown intent": (
        lambda d: _set(d, ["world", "segments", "newlyweds", "intents"], {"rant": 1.0}),
        ["world.segments.newlyweds", "rant", "allowed"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_scenario_exits_2_naming_file_and_field(tmp_path, case):
    mutate, expected = CASES[case]
    path = _write(tmp_path, mutate)
    for command in (["validate", str(path)], ["compare", str(path), "--out", str(tmp_path / "out")]):
        result = _run(*command)
        assert result.exit_code == 2, result.output
        assert str(path) in result.output
        for fragment in expected:
            assert fragment in result.output
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_negative_staffing_in_a_strategy_file(tmp_path):
    path = _write(
        tmp_path,
        lambda d: _set(d, ["staff_hours_per_day", "support"], -3),
        source=STRATEGY_DIR / "support-led.yaml",
        name="support-led.yaml",
    )
    result = _run("validate", str(path))
    assert result.exit_code == 2
    assert str(path) in result.output and "staff_hours_per_day" in result.output and "-3" in result.output


def test_negative_staffing_through_an_arm_override_names_the_scenario(tmp_path):
    path = _write(tmp_path, lambda d: _set(d, ["arms", 1, "overrides"], {"staff_hours_per_day.comms": -1}))
    result = _run("compare", str(path))
    assert result.exit_code == 2
    assert "comms-led.yaml" in result.output and f"{path}: arms[1]" in result.output


def test_missing_file(tmp_path):
    result = _run("compare", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "nope.yaml: file not found" in result.output


def test_misspelt_set_path_is_an_error():
    result = _run("compare", "credit-card-issuer", "--set", "world.horizon.dayz=3")
    assert result.exit_code == 2 and "world.horizon.dayz" in result.output and "unknown key" in result.output


def test_every_error_is_reported_at_once(tmp_path):
    def two_errors(d):
        _set(d, ["world", "horizon", "days"], -1)
        _set(d, ["replications"], "many")

    result = _run("validate", str(_write(tmp_path, two_errors)))
    assert result.exit_code == 2 and "world.horizon.days" in result.output and "replications" in result.output


def test_shipped_configs_are_valid():
    files = sorted(map(str, SCENARIO_DIR.glob("*.yaml"))) + sorted(map(str, STRATEGY_DIR.glob("*.yaml")))
    result = _run("validate", *files)
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") == len(files) >= 7
