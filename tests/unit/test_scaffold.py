"""`socialsim init`: the plausible-range table covers every number a template writes, each template's
values lie in range, and `init --yes` writes a commented file that validates, asking nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.configload import load_scenario
from socialsim.scaffold import ranges
from socialsim.scaffold.templates import TEMPLATES, apply, defaults
from socialsim.scaffold.writer import render

runner = CliRunner()


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_number_a_template_writes_has_a_range_and_lies_in_it(template: str) -> None:
    data = apply(defaults(template))
    assert ranges.numbers(data), "a template with no numbers would make this test pass vacuously"
    assert ranges.out_of_range(data) == []


def test_the_range_check_names_a_number_outside_its_range() -> None:
    data = apply(defaults("telecom"))
    data["world"]["segments"]["households"]["churn_per_year"] = 5.0
    (line,) = ranges.out_of_range(data)
    assert line.startswith("world.segments.households.churn_per_year: 5.0 is outside the plausible 0.05–0.8")


def test_a_number_missing_from_the_table_is_reported() -> None:
    data = apply(defaults("restaurant"))
    data["world"].setdefault("reactions", {})["offer_uplift"] = 2.0
    assert ranges.out_of_range(data) == [
        "world.reactions.offer_uplift: 2.0 has no plausible range in socialsim/scaffold/ranges.py"
    ]


@pytest.mark.parametrize("pattern", list(ranges.RANGES))
def test_every_entry_has_one_unit_taken_from_the_model_where_it_has_one(pattern: str) -> None:
    """Units are read from the pydantic descriptions, never retyped: an entry gives a unit only when
    the field's description has none."""
    plausible = ranges.RANGES[pattern]
    described = re.search(r"\[([^\[\]]+)\][^\[]*$", ranges.description(pattern))
    assert (described is None) != (plausible.unit is None), pattern
    assert ranges.unit(pattern)
    assert plausible.low < plausible.high
    assert plausible.source


def test_units_follow_the_models() -> None:
    assert ranges.unit("world.segments.*.churn_per_year") == "1 / year"
    assert ranges.unit("world.economics.staff_cost_dollars_per_hour.*") == "$ / hour"
    assert ranges.unit("arms.*.overrides.priorities.segment.*") == "weight"


def _comment_of(text: str, key: str) -> str:
    line = next(line for line in text.splitlines() if line.strip().startswith(f"{key}:"))
    return line.split("#", 1)[1].strip()


def test_init_yes_writes_a_commented_scenario_that_validates(tmp_path: Path) -> None:
    out = tmp_path / "acme.yaml"
    flags = ["--template", "retail", "--customers", "1500", "--currency", "EUR", "--out", str(out), "--yes"]
    # --yes must never prompt: a prompt would read the empty input and abort
    result = runner.invoke(app, ["init", *flags], input="")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("# ")  # the header saying how to edit it
    assert "socialsim validate" in text
    sc = load_scenario(out)
    assert sc.world.population.customers == 1500
    assert sc.world.currency == "EUR"
    assert _comment_of(text, "churn_per_year").startswith("[1 / year] plausible 0.05–0.8;")
    data = yaml.safe_load(text)
    numeric_lines = [line for line in text.splitlines() if re.match(r"^\s*[\w.-]+: -?[0-9.]+\s", line)]
    assert len(numeric_lines) == len(ranges.numbers(data))
    assert all("plausible" in line for line in numeric_lines)
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("keep me")
    result = runner.invoke(app, ["init", "--yes", "--out", str(out)])
    assert result.exit_code == 2
    assert "exists" in result.output
    assert out.read_text() == "keep me"
    assert runner.invoke(app, ["init", "--yes", "--out", str(out), "--force"]).exit_code == 0
    load_scenario(out)


def test_init_asks_when_not_told_yes(tmp_path: Path) -> None:
    out = tmp_path / "asked.yaml"
    answers = "\n".join(["airline", "Fly Right", "800", "GBP", "90", "support-led,comms-led"]) + "\n"
    result = runner.invoke(app, ["init", "--out", str(out)], input=answers)
    assert result.exit_code == 0, result.output
    sc = load_scenario(out)
    assert (sc.world.company, sc.world.population.customers, sc.world.currency) == ("Fly Right", 800, "GBP")
    assert sc.world.horizon.days == 90
    assert list(sc.arms) == ["comms-led", "support-led"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--template", "boat"], "--template: unknown template 'boat'"),
        (["--arms", "sales-led"], "--arms: unknown or no arm(s) ['sales-led']"),
        (["--customers", "5"], "world.population.customers: 5 is outside the plausible 100–1,000,000"),
    ],
)
def test_init_bad_flags_get_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    result = runner.invoke(app, ["init", "--yes", "--out", str(tmp_path / "x.yaml"), *args])
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_the_writer_round_trips_awkward_strings() -> None:
    data = apply(defaults("credit-card"))
    data["world"]["company"] = 'O\'Brien & "Sons": #1'
    data["description"] = "yes"
    assert yaml.safe_load(render(data, "credit-card", "f.yaml")) == data


def test_scenarios_lists_what_ships() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0, result.output
    for name in ("credit-card-issuer", "restaurant-chain", "telecom-carrier", "captain-and-crew"):
        assert name in result.output
    assert "4,000 x 180" in result.output
    assert "experiments (config/experiments)" in result.output
    assert "sobol, 64 points" in result.output  # telecom-carrier's experiment design
