"""A `compare --transport kafka` killed with SIGKILL, or stopped with Ctrl-C, goes on with `--resume`
to outputs byte-identical to a run never stopped, and leaves nothing running or on the broker.

Real processes throughout: the killed run is a `socialsim compare` subprocess with its own strategy
services (and, for Ctrl-C, its own embedded broker), signalled once its first checkpoint is on
disk; the resumed run starts its own services. The checkpoint carries the services' day-end
snapshots (`socialsim.kafka.resume`), because with an embedded broker every topic dies with
`compare`: a run stopped on one broker resumes on another. An external broker keeps a killed
run's topics, which the resume must remove.

The reference is the in-process run of the same config (the transport's name aside): an
uninterrupted Kafka run gives it event for event (tests/e2e/test_kafka.py, transport parity), and
this test's runs are too slow to make it a third time here. One arm keeps the processes few.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.configload import resolve_scenario_path
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.topics import CONTROL_TOPIC, TopicAdmin
from tests.processes import alive, descendants

pytestmark = pytest.mark.e2e

ARMS = ("support-led",)
# 4 days: the first checkpoint ends day 0, and a Ctrl-C after it stops at the end of day 1 or 2
FLAGS = ["--customers=100", "--days=4", "--replications=2", "--transport=kafka", "--replacement-timeout=20"]
OUTPUTS = ("summary.json", "series.parquet", "events.parquet", "network.parquet")
WAIT_S = 90.0  # [s] longest wait for a subprocess's first checkpoint, or for its children to go
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    """A shipped scenario with one of its arms (a stream per replication, each with unanswered posts)."""
    data = yaml.safe_load(resolve_scenario_path("restaurant-chain").read_text())
    data["arms"] = [arm for arm in data["arms"] if arm["name"] in ARMS]
    path = tmp_path_factory.mktemp("scenario") / "one-arm.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "run"
    flags = [f for f in FLAGS if not f.startswith(("--transport", "--replacement"))]
    done = CliRunner().invoke(app, ["compare", str(scenario), *flags, "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    b = EmbeddedBroker.start()
    yield b
    b.stop()


def _signal_after_first_checkpoint(
    scenario: Path, out: Path, signum: int, *extra: str
) -> tuple[subprocess.CompletedProcess[str], set[int]]:
    """Run `compare` in a subprocess, signal it once its first checkpoint is saved; returns how it
    ended and the processes it had started."""
    cmd = [sys.executable, "-m", "socialsim.cli", "compare", str(scenario), *FLAGS, "--out", str(out), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + WAIT_S
    while not (out / "checkpoint" / "state.pickle").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)
    started = descendants(proc.pid)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=WAIT_S)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), started


def _resume(scenario: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, ["compare", str(scenario), *FLAGS, *extra, "--resume", str(out)])


def _same_outputs(out: Path, reference: Path) -> None:
    summary = (out / "summary.json").read_text().replace('"transport": "kafka"', '"transport": "inproc"')
    assert summary == (reference / "summary.json").read_text(), "summary.json differs"
    for name in OUTPUTS[1:]:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), f"{name} differs"


def _all_gone(pids: set[int]) -> None:
    deadline = time.monotonic() + WAIT_S
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in pids if alive(p)] == []


def _run_topics(bootstrap: str) -> list[str]:
    admin = TopicAdmin(bootstrap)
    try:
        return [t for t in admin.list() if t != CONTROL_TOPIC and not t.startswith("__")]
    finally:
        admin.close()


def test_a_killed_kafka_run_resumes_to_identical_outputs_and_leaves_nothing_behind(
    scenario, reference, broker, tmp_path
):
    """External broker: the killed run's topics survive it; the resume ends that run and deletes them."""
    out = tmp_path / "run"
    bootstrap = ["--bootstrap", broker.bootstrap]
    killed, started = _signal_after_first_checkpoint(scenario, out, signal.SIGKILL, *bootstrap)
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists(), "killed after it had finished: not a mid-run kill"
    assert len(started) == len(ARMS)  # its services, which the kernel stops with it
    _all_gone(started)
    assert _run_topics(broker.bootstrap), "a killed run leaves its topics on an external broker"
    before = descendants(os.getpid())  # the broker
    resumed = _resume(scenario, out, *bootstrap)
    assert resumed.exit_code == 0, resumed.output
    _same_outputs(out, reference)
    assert not (out / "checkpoint").exists()
    assert _run_topics(broker.bootstrap) == []
    assert descendants(os.getpid()) - before == set()


def test_ctrl_c_of_a_kafka_run_keeps_a_checkpoint_and_partial_outputs_and_resumes_elsewhere(
    scenario, reference, broker, tmp_path
):
    """Stopped on an external broker, which it leaves clean; resumed on an embedded broker of its
    own, which knows nothing of it: what the run needs is all in the checkpoint."""
    out = tmp_path / "run"
    bootstrap = ["--bootstrap", broker.bootstrap]
    stopped, started = _signal_after_first_checkpoint(scenario, out, signal.SIGINT, *bootstrap)
    assert stopped.returncode == 130, stopped.stderr
    lines = stopped.stderr.strip().splitlines()
    assert "Traceback" not in stopped.stderr and len(lines) == 1, stopped.stderr
    assert "checkpoint saved" in lines[0] and f"--resume {out}" in lines[0] and "kafka" in lines[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["partial"] is True and manifest["finished_replications"] == 0
    assert len(started) == len(ARMS)  # its services, stopped on the way out
    _all_gone(started)
    assert _run_topics(broker.bootstrap) == []  # deleted on the way out
    before = descendants(os.getpid())  # the external broker
    resumed = _resume(scenario, out)
    assert resumed.exit_code == 0, resumed.output
    _same_outputs(out, reference)
    assert json.loads((out / "manifest.json").read_text())["partial"] is False
    assert descendants(os.getpid()) - before == set()  # its own broker and services are gone
