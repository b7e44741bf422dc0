"""Load an experiment file and check every path against its scenario before anything runs.

A path is checked by applying both ends of its range with the same `--set` machinery a run uses,
so a typo or a range outside the field's bounds is one line naming the experiment file and the
field, never a failure forty minutes into a sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from socialsim.configerrors import ConfigError, from_validation
from socialsim.configload import (
    _read_text,
    load_scenario,
    parse_yaml,
    resolve_scenario_path,
    with_run_options,
)
from socialsim.contracts.experiment import Experiment, Range
from socialsim.contracts.scenario import Scenario
from socialsim.outcomes import METRICS

EXPERIMENT_DIR = Path(__file__).resolve().parent.parent.parent / "config" / "experiments"


@dataclass(frozen=True)
class Parameter:
    """One swept path: `kind` is "uncertain" or "lever"; integer fields are sampled as integers."""

    path: str
    kind: str
    low: float
    high: float
    integer: bool = False

    @property
    def short(self) -> str:
        """What a strategist reads in a sentence: the field name, with the key of a mapping
        (`staff_hours_per_day.support`) and the arm it belongs to (`support-led ...`)."""
        parts = self.path.split(".")
        arm = f"{parts[1]} " if parts[0] == "arms" and len(parts) > 2 else ""
        tail = parts[-2:] if "_" not in parts[-1] and len(parts) > 2 else parts[-1:]
        return arm + ".".join(tail)

    def cast(self, value: float) -> float | int:
        return int(round(value)) if self.integer else float(value)


@dataclass(frozen=True)
class RunOptions:
    """The run flags shared by explore, sensitivity, optimize and breakeven."""

    customers: int | None = None
    days: int | None = None
    sets: tuple[str, ...] = ()


@dataclass
class LoadedExperiment:
    path: Path
    spec: Experiment
    scenario_path: Path
    arms: list[str]
    parameters: list[Parameter]
    options: RunOptions = field(default_factory=RunOptions)

    @property
    def name(self) -> str:
        return self.path.stem

    def lookup(self, path: str) -> Parameter:
        found = [p for p in self.parameters if p.path == path or p.path.endswith(f".{path}")]
        if len(found) != 1:
            known = ", ".join(p.path for p in self.parameters)
            raise ConfigError([f"{self.path}: no single parameter {path!r}; known: {known}"])
        return found[0]


def resolve_experiment_path(experiment: str) -> Path:
    """A path, or the name of a shipped experiment (`restaurant-chain`)."""
    path = Path(experiment)
    if not path.exists() and (EXPERIMENT_DIR / f"{experiment}.yaml").is_file():
        return EXPERIMENT_DIR / f"{experiment}.yaml"
    return path


def format_value(value: float | int) -> str:
    """A number as `--set` reads it back: YAML would take `1e-05` for a string, so never exponent form."""
    if isinstance(value, int | np.integer):
        return str(int(value))
    return np.format_float_positional(float(value), trim="0", unique=True)


def assignments(values: dict[str, float | int]) -> list[str]:
    return [f"{path}={format_value(v)}" for path, v in values.items()]


def scenario_at(
    exp: LoadedExperiment, values: dict[str, float | int], seed: int, replications: int | None = None
) -> Scenario:
    """The scenario one point runs: the experiment's arms, its parameters set to `values`."""
    sets = [*exp.options.sets, *assignments(values)]
    sc = with_run_options(
        load_scenario(exp.scenario_path, sets),
        seed=seed,
        replications=replications or exp.spec.replications,
        customers=exp.options.customers,
        days=exp.options.days,
    )
    return sc.model_copy(update={"arms": {a: sc.arms[a] for a in exp.arms}})


def _current(data: dict[str, Any], path: str) -> Any:
    """The resolved value at a scenario path (`arms.ARM.x` looks in that arm's strategy)."""
    node: Any = data
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _check_parameter(
    file: Path, scenario_path: Path, where: str, path: str, rng: Range, sets: list[str]
) -> tuple[list[str], bool]:
    """Problems with one swept path, and whether the field holds integers."""
    problems: list[str] = []
    refused: dict[str, str] = {}
    integer = False
    for end in ("low", "high"):
        value = getattr(rng, end)
        try:
            sc = load_scenario(scenario_path, [*sets, f"{path}={format_value(value)}"])
        except ConfigError as exc:
            refused[end] = "; ".join(line.split(": ", 1)[-1] for line in exc.lines)
            continue
        current = _current(sc.model_dump(), path)
        if current is None:
            problems.append(f"{file}: {where}.{path}: the path does not resolve to a field of the scenario")
        elif not isinstance(current, int | float) or isinstance(current, bool):
            problems.append(f"{file}: {where}.{path}: not a number field (holds {current!r:.60})")
        integer = isinstance(current, int) and not isinstance(current, bool)
    if len(refused) == 2 and refused["low"] == refused["high"]:  # the path itself is wrong
        return [f"{file}: {where}.{path}: {refused['low']}"], integer
    for end, detail in refused.items():
        value = format_value(getattr(rng, end))
        problems.append(f"{file}: {where}.{path}.{end}: {value} is not allowed there: {detail}")
    return problems, integer


def _read_mapping(path: Path) -> dict[str, Any]:
    """The file's top-level mapping, read within configload's limits (size, depth, aliases).
    Not `read_yaml`: that one also insists on a scenario's or a strategy's keys."""
    data = parse_yaml(_read_text(path), path)
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{path}: (top level): expected a mapping of keys to values (got {type(data).__name__})"]
        )
    return data


def load_experiment(experiment: str | Path, options: RunOptions | None = None) -> LoadedExperiment:
    """Read, validate and check an experiment; raise ConfigError listing every problem."""
    path = resolve_experiment_path(str(experiment))
    raw = _read_mapping(path)
    try:
        spec = Experiment.model_validate(raw)
    except ValidationError as err:
        raise from_validation(err, path, Experiment) from None
    options = options or RunOptions()
    scenario_path = resolve_scenario_path(spec.scenario)
    if not scenario_path.is_absolute() and not scenario_path.exists():
        scenario_path = path.parent / spec.scenario
    try:
        base = load_scenario(scenario_path, list(options.sets))
    except ConfigError as exc:
        raise ConfigError([f"{path}: scenario: {line}" for line in exc.lines]) from None
    problems: list[str] = []
    arms = list(spec.arms or base.arms)
    for i, arm in enumerate(arms):
        if arm not in base.arms:
            problems.append(
                f"{path}: arms[{i}]: unknown arm {arm!r}; the scenario's arms: {', '.join(base.arms)}"
            )
    for i, metric in enumerate(spec.metrics):
        if metric not in METRICS:
            problems.append(f"{path}: metrics[{i}]: unknown metric {metric!r}; allowed: {', '.join(METRICS)}")
    parameters: list[Parameter] = []
    for where, ranges in (("uncertain", spec.uncertain), ("levers", spec.levers)):
        for dotted, rng in ranges.items():
            found, integer = _check_parameter(path, scenario_path, where, dotted, rng, list(options.sets))
            problems.extend(found)
            kind = "uncertain" if where == "uncertain" else "lever"
            parameters.append(Parameter(dotted, kind, rng.low, rng.high, integer))
    if problems:
        raise ConfigError(problems)
    return LoadedExperiment(path, spec, scenario_path, arms, parameters, options)
