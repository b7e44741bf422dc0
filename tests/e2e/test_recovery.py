"""A strategy service killed with SIGKILL mid-run is replaced, restores its streams from their
snapshots (`<run>.snapshots`) and replays what followed, and the run ends with a byte-identical
summary.json; when no replacement comes, the run fails after the replacement timeout with one
line. Real embedded broker, real service processes. docs/architecture.md, Invariants:
Determinism, Transport parity.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.transport import TransportError
from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from socialsim.configload import config_sha256
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.children import die_with_parent
from socialsim.kafka.stack import kafka_stack, new_run_id
from socialsim.kafka.topics import TopicAdmin
from socialsim.outputs import write_outputs
from tests.conftest import small

VICTIM = "support-led"
JOIN_S = 60.0  # [s] a group join takes ~5 s on the embedded broker; a loaded machine is slower


@pytest.fixture
def broker():
    b = EmbeddedBroker.start()
    yield b
    b.stop()


def summary_text(result, sc, folder: Path) -> str:
    """summary.json as `compare` writes it, the transport's name aside."""
    write_outputs(result, folder, config_sha256(sc), "test", "run")
    return (folder / "summary.json").read_text().replace('"kafka"', '"inproc"')


def in_process_summary(sc, folder: Path) -> str:
    return summary_text(run(sc, inprocess_transport(), baseline=no_social(), keep_events=False), sc, folder)


def one_arm(sc, arm: str):
    """The scenario with only `arm`: a test of one service needs no other."""
    return sc.model_copy(update={"arms": {arm: sc.arms[arm]}})


def kill_at(tick: int, pid_of):
    """A progress callback that SIGKILLs the process `pid_of()` names once `tick` ticks are done."""
    killed: list[int] = []

    def progress(done: int, total: int) -> None:
        if done == tick and not killed:
            killed.append(pid_of())
            os.kill(killed[0], signal.SIGKILL)

    return progress, killed


def gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}") or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_a_killed_service_started_by_the_run_is_replaced_and_the_summary_is_identical(broker, tmp_path):
    sc = one_arm(small(customers=150, days=3), VICTIM)
    expected = in_process_summary(sc, tmp_path / "i")
    run_id, logs = new_run_id("recover"), tmp_path / "logs"
    with kafka_stack(sc, run_id, bootstrap=broker.bootstrap, ticks_per_topic=10, log_dir=logs) as k:
        # day 2, generation 5: the snapshot of day 1 holds queued posts (replication 1: two)
        progress, killed = kill_at(55, lambda: k.services.processes[VICTIM].pid)
        result = run(sc, k.transport, baseline=no_social(), keep_events=False, progress=progress)
        replacement = k.services.processes[VICTIM].pid
    assert killed and replacement != killed[0] and k.transport.replaced
    assert summary_text(result, sc, tmp_path / "k") == expected
    log = (logs / f"{VICTIM}.log").read_text()
    assert re.search(r"restoring replication\(s\) 0 from generation [1-9]\d* offset \d+", log), log[-3000:]
    assert gone(replacement)
    admin = TopicAdmin(broker.bootstrap)
    assert not [t for t in admin.list() if t.startswith(run_id)]
    admin.close()


class Instances:
    """Long-lived service processes of this test, each with its own log; all stopped at the end."""

    def __init__(self, bootstrap: str, folder: Path) -> None:
        self.bootstrap, self.folder = bootstrap, folder
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, strategy: str, *extra: str) -> subprocess.Popen[bytes]:
        log = self.folder / f"{strategy}-{len(self.logs)}.log"
        cmd = [sys.executable, "-m", "socialsim.cli", "service", "--strategy", strategy]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*cmd, "--bootstrap", self.bootstrap, *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            p.wait(timeout=30)


@pytest.fixture
def instances(broker, tmp_path):
    running = Instances(broker.bootstrap, tmp_path)
    yield running
    running.stop()


def serving(log: Path, run_id: str) -> set[int]:
    text = log.read_text(errors="replace")
    return {int(r) for r in re.findall(rf"serving run {re.escape(run_id)} replication (\d+)", text)}


def test_with_two_instances_the_survivor_takes_over_a_killed_ones_streams(broker, instances, tmp_path):
    sc = one_arm(small(customers=150, days=3, replications=4), VICTIM)
    expected = in_process_summary(sc, tmp_path / "i")
    two = [instances.start(VICTIM), instances.start(VICTIM)]
    deadline = time.monotonic() + JOIN_S
    while not all("control partitions assigned: [" in log.read_text() for log in instances.logs):
        assert time.monotonic() < deadline, [log.read_text()[-2000:] for log in instances.logs]
        time.sleep(0.2)
    run_id = new_run_id("takeover")
    with kafka_stack(sc, run_id, bootstrap=broker.bootstrap, external_services=True, ticks_per_topic=10) as k:

        def victim() -> int:  # an instance that serves streams of this run
            return next(p.pid for p, log in zip(two, instances.logs, strict=True) if serving(log, run_id))

        progress, killed = kill_at(30, victim)
        result = run(sc, k.transport, baseline=no_social(), keep_events=False, progress=progress)
    assert killed and summary_text(result, sc, tmp_path / "k") == expected
    survivor = next(log for p, log in zip(two, instances.logs, strict=True) if p.pid != killed[0])
    assert "restoring replication" in survivor.read_text()


def test_without_a_replacement_the_run_fails_after_the_timeout_in_one_line(broker, instances, tmp_path):
    """A service started outside the run: nobody replaces it. The timeout is shortened once the
    first ticks are answered, so a slow start-up cannot pass for it."""
    sc = one_arm(small(customers=150, days=2), VICTIM)
    run_id = new_run_id("noreplacement")
    service = instances.start(VICTIM, "--run-id", run_id)
    with (
        pytest.raises(TransportError) as failed,
        kafka_stack(sc, run_id, bootstrap=broker.bootstrap, external_services=True) as k,
    ):
        kill, killed = kill_at(10, lambda: service.pid)

        def progress(done: int, total: int) -> None:
            kill(done, total)
            k.transport.replacement_timeout_s = 2.0 if killed else 60.0

        run(sc, k.transport, baseline=no_social(), keep_events=False, progress=progress)
    message = str(failed.value)
    assert killed and "\n" not in message
    assert (
        f"no complete reply to tick 10 from arm(s) {VICTIM} within the replacement timeout of 2 s" in message
    )
