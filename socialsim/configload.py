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
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .configerrors import ConfigError, excerpt, from_validation
from .contracts.scenario import Scenario, ScenarioFile
from .contracts.strategy import Strategy
from .contracts.world import World

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
STRATEGY_DIR = CONFIG_DIR / "strategies"
SCENARIO_DIR = CONFIG_DIR / "scenarios"

M = TypeVar("M", bound=BaseModel)


def _is_file(path: Path) -> bool:
    """Whether `path` is a file; False for names the OS refuses (too long, bad bytes), so a
    hostile name ends as "not found" rather than as an OSError."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def resolve_scenario_path(scenario: str) -> Path:
    """A path, or the name of a shipped scenario (`credit-card-issuer`)."""
    path = Path(scenario)
    if not _is_file(path) and _is_file(SCENARIO_DIR / f"{scenario}.yaml"):
        return SCENARIO_DIR / f"{scenario}.yaml"
    return path


# Limits on what a config file may make the loader do; a hostile file is refused with one line.
MAX_CONFIG_BYTES = 1_000_000  # file size [bytes]; the shipped files are a few kB
MAX_NESTING_DEPTH = 32  # mappings and lists inside each other, aliases expanded [levels]
MAX_EXPANDED_VALUES = 100_000  # values once every alias is expanded (alias bombs) [values]


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with three refusals: nesting deeper than MAX_NESTING_DEPTH while
    composing (the composer recurses, so depth would otherwise end in RecursionError), duplicate
    keys in a mapping (YAML says they are an error; PyYAML keeps the last), and, once the document
    is composed, aliases that expand past MAX_EXPANDED_VALUES or MAX_NESTING_DEPTH."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_NESTING_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {excerpt(key)} (first at line {first_line[key] + 1})",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Size and depth of the document with every alias expanded, computed once per node (so in
    time linear in the file, however much the aliases multiply); refuse a bomb or a cycle."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            size[key] = min(1 + sum(size[id(k)] for k in kids), MAX_EXPANDED_VALUES + 1)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            problem = None
            if size[key] > MAX_EXPANDED_VALUES:
                problem = f"expands to more than {MAX_EXPANDED_VALUES} values through aliases"
            elif depth[key] > MAX_NESTING_DEPTH:
                problem = f"nested deeper than {MAX_NESTING_DEPTH} levels through aliases"
            if problem:
                raise yaml.composer.ComposerError(None, None, problem, node.start_mark)
        elif key in on_path:
            raise yaml.composer.ComposerError(None, None, "an alias refers to itself", node.start_mark)
        elif key not in size:
            on_path.add(key)
            stack.append((node, True))
            stack.extend((kid, False) for kid in _children(node))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character {exc.position}: not valid YAML: {exc.reason}"
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
    return f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"


def parse_yaml(text: str, where: Path | str) -> Any:
    """YAML text to Python values within the limits above; every failure is one ConfigError line."""
    loader = None
    try:
        loader = _BoundedLoader(text)  # the reader refuses unprintable characters here already
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{where}: {_yaml_problem(exc)}"]) from None
    except (ValueError, OverflowError) as exc:  # e.g. a 5000-digit integer, a 2020-13-45 date
        raise ConfigError([f"{where}: a value YAML cannot convert: {exc}"]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _read_text(path: Path) -> str:
    try:
        if not path.exists():
            raise ConfigError([f"{path}: file not found"])
        if not path.is_file():
            raise ConfigError([f"{path}: not a regular file"])
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not a config file"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: byte offset {exc.start}: not UTF-8 text ({exc.reason})"]) from None


_CONFIG_KEYS = frozenset(ScenarioFile.model_fields) | frozenset(Strategy.model_fields)


def read_yaml(path: Path) -> dict[str, Any]:
    """A config file's top-level mapping. A file that is no config at all (say /etc/shadow) gets
    one line that quotes none of it, rather than an "unknown key" line per line of the file."""
    data = parse_yaml(_read_text(path), path)
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{path}: (top level): expected a mapping of keys to values (got {type(data).__name__})"]
        )
    if not any(isinstance(key, str) and key in _CONFIG_KEYS for key in data):
        raise ConfigError(
            [
                f"{path}: not a scenario or strategy file: none of its {len(data)} top-level keys is "
                "a config key (a scenario has name, world and arms; a strategy has name and captain)"
            ]
        )
    return data


def set_dotted(data: dict[str, Any], path: str, value: Any, file: Path | str, where: str) -> None:
    """Replace the value at a dotted path, creating mappings on the way (typos still fail validation)."""
    keys = path.split(".")
    if not all(keys):
        raise ConfigError([f"{file}: {where}: {excerpt(path)} is not a dotted path (an empty key)"])
    node = data
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(
                [f"{file}: {where}: {excerpt(path)} goes through {excerpt(key)}, which is not a mapping"]
            )
        node = child
    node[keys[-1]] = value


def parse_assignment(text: str) -> tuple[str, Any]:
    """`a.b.c=value` with the value read as YAML, so numbers, booleans and lists keep their type."""
    if "=" not in text:
        raise ConfigError([f"--set {excerpt(text)}: expected dotted.path=value"])
    path, raw = text.split("=", 1)
    value = parse_yaml(raw, f"--set {excerpt(text)}") if raw.strip() else ""
    return path.strip(), value


def find_strategy(name: str, scenario_path: Path) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate if candidate.is_absolute() else (scenario_path.parent / candidate)
    for folder in (scenario_path.parent.parent / "strategies", STRATEGY_DIR):
        path = folder / f"{name}.yaml"
        if _is_file(path):
            return path
    known = sorted(p.stem for p in STRATEGY_DIR.glob("*.yaml"))
    raise KeyError(f"unknown strategy {excerpt(name)}; known: {', '.join(known)}")


def _validate(model: type[M], data: dict[str, Any], file: Path | str, prefix: tuple[Any, ...] = ()) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise from_validation(err, file, model, prefix) from None


def load_strategy(path: Path, overrides: dict[str, Any] | None = None, where: str = "overrides") -> Strategy:
    data = read_yaml(path)
    for dotted, value in (overrides or {}).items():
        set_dotted(data, dotted, value, path, where)
    return _validate(Strategy, data, path)


def unknown_names(world: World, strategy: Strategy) -> list[str]:
    """Segment and topic names a strategy uses that the world does not have. A strategy file is
    valid on its own; only with a world can a misspelt segment, which would silently weigh
    nothing, be caught."""
    uses = (
        ("priorities.segment", strategy.priorities.segment, world.segments, "segment"),
        ("priorities.topic", strategy.priorities.topic, world.topics, "topic"),
        ("broadcasts.targeting", strategy.broadcasts.targeting, world.segments, "segment"),
    )
    return [
        f"{field}: unknown {kind} {excerpt(name)}; the world's {kind}s: {', '.join(known)}"
        for field, used, known, kind in uses
        for name in used
        if name not in known
    ]


def _apply_assignment(raw: dict[str, Any], text: str, path: Path) -> None:
    """One `--set`: a dotted path into the scenario, or `arms.ARM.path` into one arm's overrides."""
    dotted, value = parse_assignment(text)
    head, _, rest = dotted.partition(".")
    if head != "arms" or not rest:
        set_dotted(raw, dotted, value, path, f"--set {excerpt(text)}")
        return
    arm_name, _, field_path = rest.partition(".")
    arms_raw = raw.get("arms")
    target = (
        next((a for a in arms_raw if isinstance(a, dict) and a.get("name") == arm_name), None)
        if isinstance(arms_raw, list)
        else None
    )
    if target is None or not field_path:
        raise ConfigError(
            [
                f"--set {excerpt(text)}: expected arms.ARM.strategy.path=value with ARM one of "
                "the scenario's arms"
            ]
        )
    overrides = target.setdefault("overrides", {})
    if not isinstance(overrides, dict):
        raise ConfigError([f"{path}: arms.{excerpt(arm_name)}.overrides: expected a mapping of dotted paths"])
    overrides[field_path] = value


def load_scenario(path: Path | str, assignments: list[str] | None = None) -> Scenario:
    """Read, override, validate and resolve a scenario; raise ConfigError listing every problem."""
    path = Path(path)
    raw = read_yaml(path)
    for text in assignments or []:
        _apply_assignment(raw, text, path)
    spec: ScenarioFile = _validate(ScenarioFile, raw, path)
    arms: dict[str, Strategy] = {}
    errors: list[str] = []
    for i, arm in enumerate(spec.arms):
        try:
            strategy_path = find_strategy(arm.strategy, path)
            arms[arm.name] = load_strategy(strategy_path, arm.overrides, f"arms[{i}].overrides")
            errors.extend(
                f"{path}: arms[{i}] ({arm.name}): {line}"
                for line in unknown_names(spec.world, arms[arm.name])
            )
        except KeyError as exc:
            errors.append(f"{path}: arms[{i}].strategy: {exc.args[0]} (got {excerpt(arm.strategy)})")
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
