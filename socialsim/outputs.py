"""Write a run's outputs (schemas in the README), into a folder that holds that run alone.

manifest.json, summary.json, series.parquet, events.parquet and network.parquet (report.html,
prometheus-targets.json and logs/ are written beside them by the composition root).

The folder is checked before anything is simulated, so a bad --out costs nothing; a run never
lands in a folder that holds other files, and --force replaces a previous run's files rather than
mixing with them (an old network.parquet beside a new manifest would describe another run).
"""

from __future__ import annotations

import json
import math
import platform
import re
import secrets
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .checkpoint import FOLDER as CHECKPOINT_FOLDER
from .checkpoint import CheckpointStore
from .comparison import EVENT_SCHEMA, NETWORK_SCHEMA, RunResult, Summary
from .configerrors import ConfigError, excerpt

# Where runs go when --out is not given; each run in a folder named after its scenario.
RUNS_DIR = Path("runs")
# Longest folder name made from a scenario name [characters].
MAX_FOLDER_NAME_CHARS = 80
# Everything a run may write into its folder: what --force may remove, and all it may remove.
RUN_FILES = frozenset(
    {
        "manifest.json",
        "summary.json",
        "series.parquet",
        "events.parquet",
        "network.parquet",
        "report.html",
        "prometheus-targets.json",
    }
)
RUN_FOLDERS = frozenset({"logs", CHECKPOINT_FOLDER})
# Random part of a run id [bytes]: 4 bytes, 8 hex digits, tell apart runs started in one second.
RUN_ID_RANDOM_BYTES = 4

_VERSIONED = ("socialsim", "simpy", "numpy", "scipy", "pydantic", "msgspec", "pyarrow", "pandas")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def safe_folder_name(name: str) -> str:
    """A scenario name as one folder name: no separators, no leading dots, so `../../x` or an
    absolute name cannot steer a run's outputs out of RUNS_DIR."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return slug[:MAX_FOLDER_NAME_CHARS].rstrip("-.") or "scenario"


def run_folder(out: str | None, scenario_name: str) -> Path:
    """The folder a run writes to: --out as given, else runs/<safe scenario name>."""
    if out is None:
        return RUNS_DIR / safe_folder_name(scenario_name)
    if not out.strip():
        raise ConfigError(["--out: empty; give the folder the run should write to, e.g. runs/my-run"])
    return Path(out)


def prepare_folder(out: Path, force: bool) -> None:
    """Make `out` ready for a new run, or raise ConfigError saying why it cannot be.

    It must be (or become) a writable folder holding nothing, or, with `force`, nothing but a
    previous run's files, which are then removed so the folder ends up with this run's alone."""
    for parent in reversed(out.absolute().parents):
        if parent.exists() and not parent.is_dir():
            raise ConfigError([f"--out {out}: {parent} is a file, so no folder can be made under it"])
    if out.exists() and not out.is_dir():
        raise ConfigError([f"--out {out}: is a file, not a folder"])
    if out.is_dir() and any(out.iterdir()):
        _clear_previous_run(out, force)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ConfigError([f"--out {out}: cannot write there: {exc.strerror or exc}"]) from None


def _clear_previous_run(out: Path, force: bool) -> None:
    if not force and CheckpointStore(out).exists():
        raise ConfigError(
            [
                f"--out {out}: holds an unfinished run; go on with `--resume {out}` (same scenario "
                "and options), or pass --force to start again"
            ]
        )
    if not force:
        raise ConfigError(
            [
                f"--out {out}: folder is not empty; pass --force to replace the run in it, "
                "or choose another folder"
            ]
        )
    entries = list(out.iterdir())
    foreign = [
        e.name
        for e in entries
        if not ((e.name in RUN_FILES and e.is_file()) or (e.name in RUN_FOLDERS and e.is_dir()))
    ]
    if foreign:
        raise ConfigError(
            [
                f"--out {out}: holds {len(foreign)} file(s) no run writes "
                f"(e.g. {excerpt(sorted(foreign)[0])}); "
                "--force only replaces a previous run, so choose another folder"
            ]
        )
    try:
        for entry in entries:
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    except OSError as exc:
        raise ConfigError([f"--out {out}: cannot remove the previous run: {exc.strerror or exc}"]) from None


def _first_non_finite(data: object, where: str = "") -> str | None:
    """Path of the first NaN or infinity in a JSON-like value, for an error that says where."""
    if isinstance(data, float) and not math.isfinite(data):
        return f"{where or '(top level)'} = {data}"
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        inner = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key)
        found = _first_non_finite(value, inner)
        if found:
            return found
    return None


def json_text(name: str, data: object) -> str:
    """Strict JSON: NaN and infinity are not JSON, so a figure that is one stops the write with
    an error naming it rather than producing a file other tools cannot read."""
    try:
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    except ValueError:
        raise ValueError(
            f"{name}: {_first_non_finite(data)} is not a finite number and JSON cannot hold it; "
            "nothing was written (a config value the bounds let through: please report it)"
        ) from None


def write_json(path: Path, data: object) -> None:
    path.write_text(json_text(path.name, data), encoding="utf-8")


def new_run_id(scenario_name: str, now: datetime | None = None) -> str:
    """A fresh id for one run: the scenario, the UTC time and a short random part, so two runs of
    one scenario in the same second still differ. Safe as a folder, Kafka topic or label value."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{safe_folder_name(scenario_name)}-{stamp}-{secrets.token_hex(RUN_ID_RANDOM_BYTES)}"


def resumable(folder: Path) -> bool:
    """Whether `--resume folder` can go on: True when it holds a checkpoint, False when the run in
    it completed (`partial` false, or absent: a run written before checkpoints existed, with its
    summary.json); ConfigError (one line) when it is neither."""
    if CheckpointStore(folder).exists():
        return True
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if isinstance(manifest, dict) and manifest.get("partial") is False:
        return False
    if isinstance(manifest, dict) and "partial" not in manifest and (folder / "summary.json").is_file():
        return False
    if isinstance(manifest, dict) and manifest.get("partial"):
        raise ConfigError([f"--resume {folder}: the run stopped without a checkpoint; run it again"])
    raise ConfigError([f"--resume {folder}: no run to resume there (no {CHECKPOINT_FOLDER}/ folder)"])


def write_outputs(
    result: RunResult, out: Path, config_sha256: str, source: str, run_id: str
) -> Summary | None:
    """Write what `result` holds. An interrupted run's (fewer replications than asked for) is
    marked `"partial": true` in manifest.json with the count that finished; when none finished,
    manifest.json is all there is, and None is returned."""
    out.mkdir(parents=True, exist_ok=True)
    partial = result.finished < result.scenario.replications
    summary = result.summary(config_sha256) if result.finished else None
    if summary is not None:
        summary_text = json_text("summary.json", summary)  # checked before any file is written
        (out / "summary.json").write_text(summary_text, encoding="utf-8")
    write_json(
        out / "manifest.json",
        {
            "run_id": run_id,
            "partial": partial,
            "finished_replications": result.finished,
            "scenario": result.scenario.name,
            "source": source,
            "config_sha256": config_sha256,
            "seed": result.scenario.seed,
            "replications": result.scenario.replications,
            "transport": result.transport,
            "arms": list(result.scenario.arms),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
            "versions": _versions(),
            "resolved_config": result.scenario.model_dump(mode="json"),
        },
    )
    if summary is None:
        return None
    pq.write_table(pa.Table.from_pylist(result.series), out / "series.parquet")
    with pq.ParquetWriter(
        out / "events.parquet", EVENT_SCHEMA
    ) as writer:  # from the spool, a batch at a time
        for batch in result.spool.batches():
            writer.write_batch(batch)
    if result.network:  # one block of edges at a time: never a second copy of the whole network
        with pq.ParquetWriter(out / "network.parquet", NETWORK_SCHEMA) as writer:
            for tables in result.network:
                for table in tables():
                    writer.write_table(table)
    return summary
