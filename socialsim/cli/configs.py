"""validate and schema: check config files, and export their JSON Schemas for editors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from ..configerrors import ConfigError
from ..configload import load_scenario, load_strategy, read_yaml
from ..contracts.experiment import Experiment
from ..contracts.scenario import ScenarioFile
from ..contracts.strategy import Strategy
from .console import (
    fail,
    out_console,
)


def validate(files: Annotated[list[Path], typer.Argument(help="scenario or strategy YAML files")]) -> None:
    """Check config files; print one line per problem (file, field path, value, what is allowed).

    Examples:

      socialsim validate my-company.yaml
      socialsim validate config/scenarios/*.yaml config/strategies/*.yaml"""
    problems: list[str] = []
    for file in files:
        try:
            data = read_yaml(file)
            if "world" in data or "arms" in data:
                load_scenario(file)
            else:
                load_strategy(file)
        except ConfigError as exc:
            problems.extend(exc.lines)
            continue
        out_console.print(f"{file}: ok", highlight=False)
    if problems:
        fail(ConfigError(problems))


def schema(
    kind: Annotated[str, typer.Argument(help="scenario, strategy or experiment")] = "scenario",
) -> None:
    """Print the JSON Schema of scenario, strategy or experiment files (for editor completion).

    Examples:

      socialsim schema scenario > scenario.schema.json
      socialsim schema strategy"""
    models: dict[str, type[BaseModel]] = {
        "scenario": ScenarioFile,
        "strategy": Strategy,
        "experiment": Experiment,
    }
    if kind not in models:
        fail(ConfigError([f"schema: unknown kind {kind!r}; allowed: {', '.join(models)}"]))
    sys.stdout.write(json.dumps(models[kind].model_json_schema(), indent=2) + "\n")
