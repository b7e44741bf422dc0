"""Fuzz the config loader with hostile scenarios and strategies; print how each attempt ended.

Every attempt is a shipped scenario (with its strategies beside it) of which one file is mutated:
a value swapped for a hostile one (NaN, infinity, a negative, a huge number, a long string, a deep
list), a key deleted, renamed or added (unknown segment names included), a `--set` with hostile
YAML, or the text itself damaged (bytes inserted, lines duplicated, aliases, deep nesting). Loading
must end in one of two ways: accepted, or refused with ConfigError lines that are each one short
line. Anything else is counted as a traceback; taking longer than --timeout is counted as a hang.
A sample of accepted scenarios then runs tiny simulations, whose summary.json must be strict JSON.

    .venv/bin/python fuzz/configs.py -n 10000 [--seed 1] [--runs 10] [--timeout 5]

Exit status 1 if any attempt produced a traceback, a hang or a bad summary.json.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from socialsim.configerrors import MAX_LINE_CHARS, ConfigError
from socialsim.configload import SCENARIO_DIR, STRATEGY_DIR, load_scenario, with_run_options

ROOT = Path(__file__).resolve().parent.parent
SOCIALSIM = Path(sys.executable).parent / "socialsim"

# A tiny run of an accepted scenario: enough to reach every metric, small enough to run dozens.
TINY_RUN = ["--customers", "60", "--days", "3", "--replications", "2", "--no-events"]

HOSTILE_VALUES: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    -1,
    -0.5,
    -1e308,
    0,
    1e308,
    10**30,
    10**4000,
    2**63,
    "",
    "x" * 5000,
    "nan",
    True,
    None,
    [],
    {},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    {"no-such-segment": 1.0},
    {"a" * 300: -1},
    "2020-13-45",
]

HOSTILE_TEXTS = [
    "\x00",
    "\xff",
    "\t",
    ": : :",
    "&a [*a]",
    "*undefined",
    "!!python/object:os.system ls",
    "[" * 400 + "]" * 400,
    "{" * 400 + "}" * 400,
    "'unterminated",
    "1" * 5000,
    ".nan",
    "-.inf",
    "<<: *a",
]

BOMB = "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, c in zip(["", *"abcdefg"], "abcdefgh", strict=True)
)


def node_paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a YAML document (mappings and lists), the root excluded."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield (*path, key)
        yield from node_paths(value, (*path, key))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def mutate_value(data: Any, rng: random.Random) -> str:
    """Change `data` in place at one random place; return what was done."""
    paths = list(node_paths(data))
    path = rng.choice(paths)
    parent, key = _parent(data, path), path[-1]
    kind = rng.choice(["replace", "replace", "replace", "delete", "rename", "add"])
    if kind == "delete" and isinstance(parent, dict):
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict):
        parent[f"{key}x"] = parent.pop(key)
    elif kind == "add" and isinstance(parent[key], dict):
        parent[key][rng.choice(["no-such-segment", "no_such_topic", "support", "question"])] = rng.choice(
            HOSTILE_VALUES
        )
    else:
        kind = "replace"
        parent[key] = rng.choice(HOSTILE_VALUES)
    return f"{kind} {'.'.join(map(str, path))}"


def mutate_text(text: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Damage YAML text: insert hostile text or bytes, duplicate a line, truncate, add a bomb."""
    kind = rng.choice(["insert", "bytes", "duplicate", "truncate", "bomb"])
    at = rng.randrange(len(text) + 1)
    if kind == "insert":
        return text[:at] + rng.choice(HOSTILE_TEXTS).encode() + text[at:], f"insert text at {at}"
    if kind == "bytes":
        return text[:at] + rng.randbytes(rng.randint(1, 4)) + text[at:], f"insert bytes at {at}"
    if kind == "duplicate":
        lines = text.splitlines(keepends=True)
        i = rng.randrange(len(lines))
        return b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]), f"duplicate line {i + 1}"
    if kind == "truncate":
        return text[:at], f"truncate at {at}"
    return BOMB.encode() + text, "alias bomb"


@dataclass
class Case:
    """One attempt: a folder with scenarios/ and strategies/, and --set assignments."""

    folder: Path
    scenario: Path
    sets: list[str] = field(default_factory=list)
    what: str = ""


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def make_case(rng: random.Random, folder: Path) -> Case:
    """Copy a shipped scenario and the strategies into `folder`, then mutate one of them."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "scenarios").mkdir(parents=True)
    shutil.copytree(STRATEGY_DIR, folder / "strategies")
    source = rng.choice(sorted(SCENARIO_DIR.glob("*.yaml")))
    scenario = folder / "scenarios" / source.name
    shutil.copy(source, scenario)
    target = rng.choice([scenario, scenario, *sorted((folder / "strategies").glob("*.yaml"))])
    case = Case(folder, scenario)
    how = rng.random()
    if how < 0.15:
        data = yaml.safe_load(scenario.read_text())
        arm = rng.choice(data["arms"])["name"]
        path = rng.choice(
            ["seed", "world.horizon.days", f"arms.{arm}.priorities.segment.nobody", f"arms.{arm}.pitch_rate"]
        )
        case.sets = [f"{path}={rng.choice(HOSTILE_TEXTS)}"]
        case.what = f"--set {path}"
    elif how < 0.6:
        data = yaml.safe_load(target.read_text())
        case.what = f"{target.name}: {mutate_value(data, rng)}"
        target.write_bytes(_dump(data))
    else:
        text, what = mutate_text(target.read_bytes(), rng)
        target.write_bytes(text)
        case.what = f"{target.name}: {what}"
    return case


def bad_lines(lines: list[str]) -> list[str]:
    """Error lines that break the rules: more than one line, or too long."""
    return [line for line in lines if "\n" in line or len(line) > MAX_LINE_CHARS]


def load_case(scenario: str, sets: list[str]) -> tuple[str, str]:
    """Load a scenario as `compare` does; ('accepted'|'refused'|'traceback', detail). Runs in a worker."""
    try:
        with_run_options(load_scenario(Path(scenario), sets), customers=60, days=3, replications=2)
    except ConfigError as exc:
        wrong = bad_lines(exc.lines)
        return ("traceback", f"malformed error line: {wrong[0][:200]!r}") if wrong else ("refused", "")
    except Exception as exc:  # the point of the fuzzer: anything else is a bug
        return "traceback", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return "accepted", ""


class Worker:
    """One process that loads configs, replaced when an attempt hangs (killing is the only stop)."""

    def __init__(self) -> None:
        self._pool = multiprocessing.get_context("spawn").Pool(1)

    def run(self, fn: Callable[..., tuple[str, str]], *args: Any, timeout_s: float) -> tuple[str, str]:
        pending = self._pool.apply_async(fn, args)
        try:
            return pending.get(timeout_s)
        except multiprocessing.TimeoutError:
            self._pool.terminate()
            self._pool = multiprocessing.get_context("spawn").Pool(1)
            return "hang", f"no answer in {timeout_s} s"

    def close(self) -> None:
        self._pool.terminate()


def tiny_run(case: Case, out: Path, timeout_s: float) -> str | None:
    """Run an accepted scenario briefly; None if its summary.json is strict JSON, else why not."""
    sets = [arg for s in case.sets for arg in ("--set", s)]
    cmd = [str(SOCIALSIM), "compare", str(case.scenario), *TINY_RUN, *sets, "--out", str(out), "--force"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"tiny run took over {timeout_s} s"
    if done.returncode != 0:
        return f"tiny run exited {done.returncode}: {done.stderr.strip()[-300:]}"

    def refuse(constant: str) -> float:
        raise ValueError(f"summary.json holds {constant}")

    try:
        summary = json.loads((out / "summary.json").read_text(), parse_constant=refuse)
    except (OSError, ValueError) as exc:
        return str(exc)
    numbers = [v for arm in summary["arms"].values() for m in arm.values() for v in m.values()]
    if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
        return "summary.json holds a non-finite number"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="attempts [count]")
    parser.add_argument("--seed", type=int, default=1, help="seed of the mutations")
    parser.add_argument("--runs", type=int, default=10, help="accepted scenarios given a tiny run [count]")
    parser.add_argument("--timeout", type=float, default=5.0, help="longest a load may take [s]")
    parser.add_argument("--run-timeout", type=float, default=120.0, help="longest a tiny run may take [s]")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    accepted: list[Case] = []
    worker = Worker()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fuzz-configs-") as tmp:
        try:
            for i in range(args.n):
                case = make_case(rng, Path(tmp) / "case")
                outcome, detail = worker.run(load_case, str(case.scenario), case.sets, timeout_s=args.timeout)
                counts[outcome] += 1
                if outcome in ("traceback", "hang"):
                    examples.setdefault(outcome, []).append(f"#{i} {case.what}: {detail}")
                if outcome == "accepted" and len(accepted) < args.runs:
                    keep = Path(tmp) / f"accepted-{len(accepted)}"
                    shutil.copytree(case.folder, keep)
                    accepted.append(Case(keep, keep / "scenarios" / case.scenario.name, case.sets, case.what))
        finally:
            worker.close()
        bad_runs = []
        for j, case in enumerate(accepted):
            problem = tiny_run(case, Path(tmp) / f"run-{j}", args.run_timeout)
            if problem:
                bad_runs.append(f"{case.what}: {problem}")
    print(f"tried:            {args.n} (seed {args.seed}, {time.monotonic() - started:.0f} s)")
    print(f"refused cleanly:  {counts['refused']}")
    print(f"tracebacks:       {counts['traceback']}")
    print(f"hangs (>{args.timeout:g} s):    {counts['hang']}")
    print(f"accepted:         {counts['accepted']}")
    print(f"tiny runs:        {len(accepted)}, with a bad summary.json or failure: {len(bad_runs)}")
    for outcome, lines in examples.items():
        for line in lines[:10]:
            print(f"  {outcome}: {line}")
    for line in bad_runs[:10]:
        print(f"  run: {line}")
    return 1 if counts["traceback"] or counts["hang"] or bad_runs else 0


if __name__ == "__main__":
    sys.exit(main())
