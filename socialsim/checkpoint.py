"""A run's checkpoint on disk: `RUN_DIR/checkpoint/`, written while `compare` runs, removed when it ends.

* `identity.json` — what run this is (the sha256 of the code that wrote it, config hash, seed,
  scenario, transport, the options that change numbers, the resolved config). Written once, read
  before anything else: a checkpoint whose identity differs from the run being resumed is refused
  with one line naming the difference, and its state is never unpickled. The code digest
  (`socialsim.codedigest`) is what makes an old checkpoint safe to refuse: what gets pickled
  (the network's parts, how shared parts are referenced, the recorder's fields) changes with the
  code, not with a version number, and unpickling another code's state fails with a traceback or,
  worse, resumes into a different object graph.
* `state.pickle` — the `RunState` at the latest tick boundary: replaced atomically (a temporary
  file, then `os.replace`), so a kill at any moment leaves the previous state or the next one,
  never half of one.
* `events/` — the event spool's part files (`socialsim.comparison.EventSpool`); the state
  names the parts it counts, and a resume deletes any written after it.

A checkpoint that cannot be read (a truncated or corrupt file, a class its pickle names that is
gone) is refused in one line too (`CheckpointError`), never a traceback.

Guarantees hold against the process dying (SIGKILL, an out-of-memory kill, Ctrl-C), not against the
machine losing power: nothing is fsync'ed, because a daily fsync costs more than the checkpoint.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.model import Frozen

from .codedigest import code_digest, shown
from .contracts.scenario import Scenario

FOLDER = "checkpoint"
IDENTITY, STATE = "identity.json", "state.pickle"
# Identity fields compared one by one, in this order, before the resolved config (first wins).
_NAMED = (
    "scenario",
    "transport",
    "keep_events",
    "series_every_ticks",
    "in_flight",
    "seed",
    "replications",
)


@dataclass
class RunState:
    """Everything a killed comparison needs to go on: the replication group in flight, frozen at a
    tick boundary, and what the groups before it produced."""

    group: int  # index of the replication group in flight
    frozen: Frozen
    spool: dict[str, Any]  # `EventSpool.state()`
    per_arm: dict[str, dict[str, list[float]]]  # finished replications' outcomes
    per_baseline: dict[str, list[float]]
    series: list[dict[str, Any]] = field(default_factory=list)  # finished replications' series rows
    per_segment: dict[str, Any] = field(default_factory=dict)  # finished replications' outcomes by segment


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed; the message is one line saying why."""


class CheckpointMismatch(CheckpointError):
    """The checkpoint belongs to another run or other code; the message names what differs."""


# What every refusal tells the user to do: start the run over in the same folder.
START_OVER = "rerun with --force (without --resume) to start over"
# What reading a checkpoint raises when its files are truncated, corrupt or name classes that are gone.
UNREADABLE = (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError, ModuleNotFoundError)


def run_identity(
    scenario: Scenario,
    config_sha256: str,
    *,
    transport: str,
    keep_events: bool,
    series_every_ticks: int,
    in_flight: int,
    run_id: str | None,
) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the resolved config (seed, replications,
    customers and days included) and every option that changes numbers or the checkpoint's shape.
    `run_id` only travels with it (a resumed run keeps its id)."""
    return {
        "code": code_digest(),
        "scenario": scenario.name,
        "transport": transport,
        "keep_events": keep_events,
        "series_every_ticks": series_every_ticks,
        "in_flight": in_flight,
        "seed": scenario.seed,
        "replications": scenario.replications,
        "config_sha256": config_sha256,
        "config": scenario.model_dump(mode="json"),
        "run_id": run_id,
    }


def _first_difference(old: Any, new: Any, where: str = "") -> str | None:
    """Dotted path of the first value that differs between two JSON-like values."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            inner = f"{where}.{key}" if where else str(key)
            if key not in old or key not in new:
                return inner
            found = _first_difference(old[key], new[key], inner)
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found = _first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if old == new else (where or "(top level)")


def _value_at(data: Any, path: str) -> Any:
    for part in path.replace("[", ".[").split("."):
        if isinstance(data, list) and part.startswith("["):
            data = data[int(part[1:-1])]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return "(absent)"
    return data


def mismatch(saved: dict[str, Any], now: dict[str, Any]) -> str | None:
    """One line naming what differs between a checkpoint's identity and this run's, or None."""
    for name in _NAMED:
        if saved.get(name) != now.get(name):
            return f"{name} is {saved.get(name)!r} in the checkpoint, {now.get(name)!r} now"
    path = _first_difference(saved.get("config"), now.get("config"))
    if path is not None:
        old, new = _value_at(saved.get("config"), path), _value_at(now.get("config"), path)
        return f"config differs at {path}: {old!r} in the checkpoint, {new!r} now"
    old_sha, new_sha = saved.get("config_sha256"), now.get("config_sha256")
    if old_sha != new_sha:
        return f"config_sha256 is {old_sha} in the checkpoint, {new_sha} now"
    return None


class CheckpointStore:
    """The checkpoint folder of one run folder."""

    def __init__(self, run_dir: Path):
        self.folder = run_dir / FOLDER

    @property
    def events(self) -> Path:
        return self.folder / "events"

    def exists(self) -> bool:
        return (self.folder / IDENTITY).is_file()

    def identity(self) -> dict[str, Any]:
        """What run wrote this checkpoint; CheckpointError (one line) when it cannot be read."""
        path = self.folder / IDENTITY
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UNREADABLE as exc:
            raise self._unreadable(path, exc) from None
        if not isinstance(data, dict):
            raise self._unreadable(path, ValueError(f"a JSON object expected, not {type(data).__name__}"))
        return data

    def start(self, identity: dict[str, Any]) -> None:
        """A fresh run: an empty checkpoint folder holding only its identity."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.events.mkdir(parents=True)
        self._replace(IDENTITY, json.dumps(identity, indent=2).encode())

    def check(self, identity: dict[str, Any]) -> None:
        """Raise CheckpointMismatch unless this checkpoint was written by the run `identity`
        describes, with the same code (which is checked first: other code's state may not even
        unpickle, whatever else agrees)."""
        saved = self.identity()
        if saved.get("code") != identity.get("code"):
            raise CheckpointMismatch(
                f"checkpoint written by other code: sha256 {shown(saved.get('code'))} in "
                f"{self.folder}, this socialsim is {shown(identity.get('code'))}; {START_OVER}"
            )
        differs = mismatch(saved, identity)
        if differs is not None:
            raise CheckpointMismatch(f"the checkpoint in {self.folder.parent} is another run's: {differs}")

    def save(self, state: RunState) -> int:
        """Write `state` atomically, streamed to the file (no second copy in memory); returns its
        size [bytes]."""
        tmp = self.folder / f".{STATE}.tmp"
        with tmp.open("wb") as file:
            pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
            size = file.tell()
        os.replace(tmp, self.folder / STATE)
        return size

    def load(self) -> RunState | None:
        """The latest state, or None when the run stopped before its first checkpoint;
        CheckpointError (one line) when it cannot be read."""
        path = self.folder / STATE
        if not path.is_file():
            return None
        try:
            with path.open("rb") as file:  # read as unpickled: the state is never in memory twice
                state = pickle.load(file)  # noqa: S301 - identity checked by `check`
        except UNREADABLE as exc:
            raise self._unreadable(path, exc) from None
        if not isinstance(state, RunState):
            raise self._unreadable(path, ValueError(f"a RunState expected, not {type(state).__name__}"))
        return state

    @staticmethod
    def _unreadable(path: Path, exc: Exception) -> CheckpointError:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return CheckpointError(f"checkpoint unreadable: {path}: {reason}; {START_OVER}")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _replace(self, name: str, data: bytes) -> None:
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.folder / name)
