"""Load scenario and strategy YAML into validated, fully resolved models.

Strategies are referenced by name from a scenario; an arm's overrides and the command line's
`--set` are applied to the raw mapping *before* validation, so every value a run uses has
passed the same checks and every error names the file it came from.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .configerrors import ConfigError, from_validation
from .contracts.scenario import Scenario, ScenarioFile
from .contracts.strategy import Strategy

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
STRATEGY_DIR = CONFIG_DIR / "strategies"
SCENARIO_DIR = CONFIG_DIR / "scenarios"


def resolve_scenario_path(scenario: str) -> Path:
    """A path, or the name of a shipped scenario (`credit-card-issuer`)."""
    path = Path(scenario)
    if not path.exists() and (SCENARIO_DIR / f"{scenario}.yaml").is_file():
        return SCENARIO_DIR / f"{scenario}.yaml"
    return path


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError([f"{path}: file not found"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        raise ConfigError([f"{path}: {where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{path}: (top level): expected a mapping of keys to values (got {type(data).__name__})"]
        )
    return data


def set_dotted(data: dict[str, Any], path: str, value: Any, file: Path | str, where: str) -> None:
    """Replace the value at a dotted path, creating mappings on the way (typos still fail validation)."""
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError([f"{file}: {where}: {path!r} goes through {key!r}, which is not a mapping"])
        node = child
    node[keys[-1]] = value


def parse_assignment(text: str) -> tuple[str, Any]:
    """`a.b.c=value` with the value read as YAML, so numbers, booleans and lists keep their type."""
    if "=" not in text:
        raise ConfigError([f"--set {text!r}: expected dotted.path=value"])
    path, raw = text.split("=", 1)
    return path.strip(), yaml.safe_load(raw) if raw.strip() else ""


def find_strategy(name: str, scenario_path: Path) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate if candidate.is_absolute() else (scenario_path.parent / candidate)
    for folder in (scenario_path.parent.parent / "strategies", STRATEGY_DIR):
        path = folder / f"{name}.yaml"
        if path.is_file():
            return path
    known = sorted(p.stem for p in STRATEGY_DIR.glob("*.yaml"))
    raise KeyError(f"unknown strategy {name!r}; known: {', '.join(known)}")


def _validate(
    model: type[BaseModel], data: dict[str, Any], file: Path | str, prefix: tuple[Any, ...] = ()
) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise from_validation(err, file, model, prefix) from None


def load_strategy(path: Path, overrides: dict[str, Any] | None = None, where: str = "overrides") -> Strategy:
    data = read_yaml(path)
    for dotted, value in (overrides or {}).items():
        set_dotted(data, dotted, value, path, where)
    return _validate(Strategy, data, path)


def load_scenario(path: Path | str, assignments: list[str] | None = None) -> Scenario:
    """Read, override, validate and resolve a scenario; raise ConfigError listing every problem."""
    path = Path(path)
    raw = read_yaml(path)
    for text in assignments or []:
        dotted, value = parse_assignment(text)
        head, _, rest = dotted.partition(".")
        if head == "arms" and rest:
            arm_name, _, strategy_path = rest.partition(".")
            arm = next(
                (a for a in raw.get("arms", []) if isinstance(a, dict) and a.get("name") == arm_name), None
            )
            if arm is None or not strategy_path:
                raise ConfigError(
                    [
                        (
                            f"--set {text!r}: expected arms.ARM.strategy.path=value with ARM one of "
                            "the scenario's arms"
                        )
                    ]
                )
            arm.setdefault("overrides", {})[strategy_path] = value
        else:
            set_dotted(raw, dotted, value, path, f"--set {text}")
    spec: ScenarioFile = _validate(ScenarioFile, raw, path)
    arms: dict[str, Strategy] = {}
    errors: list[str] = []
    for i, arm in enumerate(spec.arms):
        try:
            strategy_path = find_strategy(arm.strategy, path)
            arms[arm.name] = load_strategy(strategy_path, arm.overrides, f"arms[{i}].overrides")
        except KeyError as exc:
            errors.append(f"{path}: arms[{i}].strategy: {exc.args[0]} (got {arm.strategy!r})")
        except ConfigError as exc:
            errors.extend(f"{line} (from {path}: arms[{i}])" for line in exc.lines)
    if errors:
        raise ConfigError(errors)
    return Scenario(
        name=spec.name,
        description=spec.description,
        seed=spec.seed,
        replications=spec.replications,
        world=spec.world,
        arms=arms,
    )


def with_run_options(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replications: int | None = None,
    customers: int | None = None,
    days: int | None = None,
) -> Scenario:
    """Apply the CLI's shorthand options; validation runs again so their bounds are enforced too."""
    data = scenario.model_dump()
    if seed is not None:
        data["seed"] = seed
    if replications is not None:
        data["replications"] = replications
    if customers is not None:
        data["world"]["population"]["customers"] = customers
    if days is not None:
        data["world"]["horizon"]["days"] = days
    return _validate(Scenario, copy.deepcopy(data), "command line")


def config_sha256(scenario: Scenario) -> str:
    """Hash of the fully resolved scenario: two runs with equal hashes and seeds are the same run."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
