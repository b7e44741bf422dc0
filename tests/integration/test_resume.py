"""A killed or interrupted `compare` goes on from its checkpoint with the numbers it would have had.

The kill and the Ctrl-C are real signals sent to a real `socialsim compare` process once its first
checkpoint is on disk; the reference is the same run, never stopped, byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator import recorder
from socialsim.bootstrap import REPLICATIONS_IN_FLIGHT, SERIES_EVERY_TICKS, inprocess_transport, no_social
from socialsim.checkpoint import CheckpointStore, run_identity
from socialsim.cli import app
from socialsim.comparison import Interrupted, run
from socialsim.configload import config_sha256, load_scenario, resolve_scenario_path, with_run_options
from socialsim.outputs import write_outputs

pytestmark = pytest.mark.integration

SCENARIO = "restaurant-chain"
SIZE = {"customers": 100, "days": 3, "replications": 2}
FLAGS = [f"--{k}={v}" for k, v in SIZE.items()]
OUTPUTS = ("summary.json", "series.parquet", "events.parquet", "network.parquet")
# Longest wait for a subprocess's first checkpoint or its end [s].
WAIT_S = 60.0
ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str):
    return CliRunner().invoke(app, ["compare", SCENARIO, *FLAGS, *args])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The run never stopped."""
    out = tmp_path_factory.mktemp("reference") / "run"
    result = _cli("--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def _start(out: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "socialsim.cli", "compare", SCENARIO, *FLAGS, "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _signal_after_first_checkpoint(out: Path, signum: int) -> subprocess.CompletedProcess[str]:
    proc = _start(out)
    deadline = time.monotonic() + WAIT_S
    while not (out / "checkpoint" / "state.pickle").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=WAIT_S)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _same_outputs(out: Path, reference: Path) -> None:
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), f"{name} differs"


def test_a_killed_run_resumes_to_identical_outputs_and_drops_its_checkpoint(tmp_path, reference):
    out = tmp_path / "run"
    killed = _signal_after_first_checkpoint(out, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists(), "killed after it had finished: not a mid-run kill"
    resumed = _cli("--resume", str(out))
    assert resumed.exit_code == 0, resumed.output
    _same_outputs(out, reference)
    assert not (out / "checkpoint").exists()
    again = _cli("--resume", str(out))
    assert again.exit_code == 0 and "completed" in again.output


def test_ctrl_c_stops_with_a_partial_manifest_and_one_line_saying_how_to_go_on(tmp_path, reference):
    out = tmp_path / "run"
    stopped = _signal_after_first_checkpoint(out, signal.SIGINT)
    assert stopped.returncode == 130, stopped.stderr
    lines = stopped.stderr.strip().splitlines()
    assert "Traceback" not in stopped.stderr and len(lines) == 1, stopped.stderr
    assert f"--resume {out}" in lines[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["partial"] is True and manifest["finished_replications"] == 0
    resumed = _cli("--resume", str(out))
    assert resumed.exit_code == 0, resumed.output
    _same_outputs(out, reference)
    assert json.loads((out / "manifest.json").read_text())["partial"] is False


def test_a_resume_with_another_config_or_seed_is_refused_naming_what_differs(tmp_path):
    sc = _scenario()
    CheckpointStore(tmp_path).start(_identity(sc))
    for args, named in [
        (["--seed", "8"], "seed is"),
        (["--set", "world.reactions.help_half_life_minutes=33"], "world.reactions.help_half_life_minutes"),
        (["--no-events"], "keep_events"),
    ]:
        refused = _cli("--resume", str(tmp_path), *args)
        assert refused.exit_code == 2, refused.output
        assert len(refused.output.strip().splitlines()) == 1 and named in refused.output, refused.output
    # an in-process checkpoint holds policies, a Kafka one its services' snapshots: never mixed
    refused = _cli("--resume", str(tmp_path), "--transport", "kafka")
    assert refused.exit_code == 2, refused.output
    assert refused.output.strip().splitlines() == [
        f"--resume {tmp_path}: the checkpoint in {tmp_path} is another run's: "
        "transport is 'inproc' in the checkpoint, 'kafka' now"
    ]


def test_an_interrupted_group_keeps_finished_replications_and_resumes_across_groups(tmp_path):
    """One replication in flight at a time: the stop comes in the second group, so the first is
    written as a partial run, and the resume rebuilds its network and goes on in the second."""
    sc = _scenario()
    sha = config_sha256(sc)
    whole = run(sc, inprocess_transport(), baseline=no_social(), in_flight=1)
    store = CheckpointStore(tmp_path)
    store.start({"run": "test"})
    checks = iter(range(10_000))
    stop_after = 24 * SIZE["days"] + 30  # in the second group (a group asks between its hourly ticks)
    with pytest.raises(Interrupted) as stopped:
        run(
            sc,
            inprocess_transport(),
            baseline=no_social(),
            in_flight=1,
            checkpoints=store,
            stop=lambda: next(checks) >= stop_after,
        )
    partial = stopped.value.result
    assert partial.finished == 1
    assert write_outputs(partial, tmp_path / "partial", sha, "test", "r")["replications"] == 1
    assert json.loads((tmp_path / "partial" / "manifest.json").read_text())["partial"] is True
    resumed = run(
        sc, inprocess_transport(), baseline=no_social(), in_flight=1, checkpoints=store, resume=store.load()
    )
    write_outputs(whole, tmp_path / "whole", sha, "test", "r")
    write_outputs(resumed, tmp_path / "resumed", sha, "test", "r")
    _same_outputs(tmp_path / "resumed", tmp_path / "whole")


class Crash(Exception):
    """Stands in for the process dying: in-process, so the spool's files after the last checkpoint
    stay on disk as a SIGKILL would leave them."""


def test_events_written_after_the_last_checkpoint_are_neither_lost_nor_duplicated(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder, "EVENTS_PER_BATCH", 5)  # many spool parts
    sc = with_run_options(
        load_scenario(resolve_scenario_path(SCENARIO), []), seed=None, **{**SIZE, "customers": 300}
    )
    sha = config_sha256(sc)
    whole = run(sc, inprocess_transport(), baseline=no_social(), in_flight=1)
    store = CheckpointStore(tmp_path)
    store.start({"run": "test"})
    checks = iter(range(10_000))
    crash_after = 24 * 2 + 12  # in the first group, a day and a half after its first day's checkpoint

    def stop() -> bool:
        if next(checks) >= crash_after:
            raise Crash
        return False

    with pytest.raises(Crash):  # a vanishing share: the first day's checkpoint, then none
        run(
            sc,
            inprocess_transport(),
            baseline=no_social(),
            in_flight=1,
            checkpoints=store,
            stop=stop,
            checkpoint_share=1e-9,
        )
    spooled = {p.name for p in store.events.glob("*.parquet")}
    state = store.load()
    counted = {name for names in [*state.spool["open"].values(), *state.spool["closed"]] for name in names}
    assert spooled - counted, "nothing was spooled after the checkpoint: the test would show nothing"
    resumed = run(
        sc, inprocess_transport(), baseline=no_social(), in_flight=1, checkpoints=store, resume=state
    )
    write_outputs(whole, tmp_path / "whole", sha, "test", "r")
    write_outputs(resumed, tmp_path / "resumed", sha, "test", "r")
    _same_outputs(tmp_path / "resumed", tmp_path / "whole")


def _scenario():
    """The scenario `compare SCENARIO` resolves at this test's size."""
    return with_run_options(load_scenario(resolve_scenario_path(SCENARIO), []), seed=None, **SIZE)


def _identity(sc, **changes) -> dict:
    """The identity `compare SCENARIO FLAGS` would give its checkpoint, with `changes`."""
    ident = run_identity(
        sc,
        config_sha256(sc),
        transport="inproc",
        keep_events=True,
        series_every_ticks=SERIES_EVERY_TICKS,
        in_flight=REPLICATIONS_IN_FLIGHT,
        run_id="r",
    )
    return ident | changes


def _one_line(result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert all(part in result.output for part in parts), result.output
    assert "Traceback" not in result.output


def test_a_checkpoint_written_by_other_code_is_refused_before_its_state_is_read(tmp_path):
    """What gets pickled changes with the code, not the version: the code's sha256 decides. The
    state file is garbage, so reading it would fail otherwise than with the code line."""
    sc = _scenario()
    store = CheckpointStore(tmp_path)
    store.start(_identity(sc, code="0" * 64))
    (store.folder / "state.pickle").write_bytes(b"not a pickle")
    refused = _cli("--resume", str(tmp_path))
    _one_line(refused, "checkpoint written by other code: sha256 000000000000...", "--force")
    store.start({k: v for k, v in _identity(sc).items() if k != "code"})  # written before the digest
    _one_line(_cli("--resume", str(tmp_path)), "other code: sha256 (none recorded)")


@pytest.fixture(scope="module")
def stopped_checkpoint(tmp_path_factory) -> Path:
    """A real checkpoint, as a killed `compare` leaves it: identity of the CLI's run, the first
    day's state."""
    sc = _scenario()
    folder = tmp_path_factory.mktemp("stopped")
    store = CheckpointStore(folder)
    store.start(_identity(sc))
    checks = iter(range(10_000))
    with pytest.raises(Interrupted):
        run(
            sc,
            inprocess_transport(),
            baseline=no_social(),
            checkpoints=store,
            series_every_ticks=SERIES_EVERY_TICKS,
            in_flight=REPLICATIONS_IN_FLIGHT,
            stop=lambda: next(checks) >= 30,
        )
    assert store.load() is not None
    return folder


@pytest.mark.parametrize("name", ["identity.json", "state.pickle"])
def test_a_truncated_checkpoint_file_is_refused_in_one_line(tmp_path, stopped_checkpoint, name):
    out = tmp_path / "run"
    shutil.copytree(stopped_checkpoint, out)
    path = out / "checkpoint" / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _one_line(_cli("--resume", str(out)), f"checkpoint unreadable: {path}", "--force")


def test_resume_on_a_run_completed_before_checkpoints_existed_says_it_completed(tmp_path, reference):
    """Its manifest.json has no `partial` key at all."""
    out = tmp_path / "old"
    shutil.copytree(reference, out)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["partial"], manifest["finished_replications"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    again = _cli("--resume", str(out))
    assert again.exit_code == 0 and "completed" in again.output, again.output
