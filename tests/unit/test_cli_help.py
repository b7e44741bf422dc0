"""CLI manners: every command's --help shows examples and no `<bool>`/`<list[...]>` placeholders, and
`--version` prints the installed version."""

from __future__ import annotations

from importlib.metadata import version

import pytest
import typer
from typer.testing import CliRunner

from socialsim.cli import app

runner = CliRunner()


def _paths(command: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under the app, groups included (`dashboards`, `dashboards push`)."""
    found = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_paths(sub, (*prefix, name)))
    return found


COMMAND_PATHS = _paths(typer.main.get_command(app))


def test_the_walk_finds_the_commands() -> None:
    assert {("compare",), ("init",), ("scenarios",), ("dashboards", "push")} <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "socialsim")
def test_help_has_examples_and_no_type_placeholders(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "<list[" not in result.output
    assert "Examples:" in result.output
    example_lines = result.output.split("Examples:", 1)[1]
    assert f"socialsim {' '.join(path)}".strip() in example_lines


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"socialsim {version('socialsim')}"


def test_a_bracketed_default_in_a_help_text_is_shown() -> None:
    """Rich help reads `[default: ...]` as a markup tag and drops it unless escaped."""
    result = runner.invoke(app, ["compare", "--help"], env={"COLUMNS": "200"})
    assert "[default: start an embedded broker]" in result.output
