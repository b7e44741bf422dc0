"""Long-lived strategy services on the real embedded broker: started once, serving many runs.

One set of services (`socialsim service --strategy NAME --bootstrap ...`, real OS processes)
serves two comparisons at once, each identical to its in-process run; two instances of one
strategy share a run's streams through a consumer group, with identical results.
docs/architecture.md, Invariants: Transport parity, Determinism.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.children import die_with_parent
from socialsim.kafka.topics import CONTROL_PARTITIONS

STRATEGIES = ["marketing-led", "comms-led", "support-led", "captain-and-crew"]
SMALL = ["--customers", "150"]
JOIN_S = 120.0  # [s] a group join takes ~5 s on the embedded broker; a loaded machine is slower


@pytest.fixture
def broker():
    b = EmbeddedBroker.start()
    yield b
    b.stop()


class Instances:
    """Service processes of this test, each logging to its own file; all stopped at the end."""

    def __init__(self, bootstrap: str, folder: Path) -> None:
        self.bootstrap, self.folder = bootstrap, folder
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, strategy: str) -> Path:
        log = self.folder / f"{strategy}-{len(self.logs)}.log"
        cmd = [sys.executable, "-m", "socialsim.cli", "service", "--strategy", strategy]
        with log.open("wb") as out:
            self.procs.append(
                subprocess.Popen(
                    [*cmd, "--bootstrap", self.bootstrap],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent,
                )
            )
        self.logs.append(log)
        return log

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)


@pytest.fixture
def instances(broker, tmp_path):
    running = Instances(broker.bootstrap, tmp_path)
    yield running
    running.stop()


def assigned(log: Path) -> set[int]:
    """The control partitions an instance was given last."""
    found = re.findall(r"control partitions assigned: \[([\d, ]*)\]", log.read_text(errors="replace"))
    return {int(p) for p in found[-1].split(",") if p.strip()} if found else set()


def wait_joined(logs: list[Path]) -> None:
    """Until the instances hold every control partition between them, each its own."""
    deadline = time.monotonic() + JOIN_S
    while time.monotonic() < deadline:
        parts = [assigned(log) for log in logs]
        if all(parts) and sum(map(len, parts)) == CONTROL_PARTITIONS == len(set().union(*parts)):
            return
        time.sleep(0.2)
    raise AssertionError({str(log): log.read_text()[-2000:] for log in logs})


def served(log: Path, run_id: str) -> set[int]:
    """The replications of `run_id` an instance took."""
    found = re.findall(rf"serving run {re.escape(run_id)} replication (\d+)", log.read_text())
    return {int(r) for r in found}


def compare_over_kafka(bootstrap: str, out: Path, run_id: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socialsim.cli",
            "compare",
            *args,
            *SMALL,
            "--transport",
            "kafka",
            "--bootstrap",
            bootstrap,
            "--external-services",
            "--run-id",
            run_id,
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(proc: subprocess.Popen[str]) -> None:
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output


def assert_same_as_in_process(kafka: Path, tmp: Path, *args: str) -> None:
    inproc = tmp / f"inproc-{kafka.name}"
    result = CliRunner().invoke(app, ["compare", *args, *SMALL, "--out", str(inproc)])
    assert result.exit_code == 0, result.output
    k, i = json.loads((kafka / "summary.json").read_text()), json.loads((inproc / "summary.json").read_text())
    assert (k.pop("transport"), i.pop("transport")) == ("kafka", "inproc")
    k.pop("run_id", None), i.pop("run_id", None)
    assert k == i


def test_one_set_of_services_serves_two_comparisons_at_once(broker, instances, tmp_path):
    logs = [instances.start(s) for s in STRATEGIES]
    wait_joined(logs[:1])
    one = ["credit-card-issuer", "--seed", "21", "--replications", "2", "--days", "2"]
    two = ["telecom-carrier", "--seed", "22", "--replications", "3", "--days", "2"]
    first = compare_over_kafka(broker.bootstrap, tmp_path / "one", "run-one", *one)
    second = compare_over_kafka(broker.bootstrap, tmp_path / "two", "run-two", *two)
    finished(first)
    finished(second)
    assert_same_as_in_process(tmp_path / "one", tmp_path, *one)
    assert_same_as_in_process(tmp_path / "two", tmp_path, *two)
    support = logs[STRATEGIES.index("support-led")]
    assert served(support, "run-one") == {0, 1} and served(support, "run-two") == {0, 1, 2}


def test_two_instances_of_one_strategy_share_the_streams_with_identical_results(broker, instances, tmp_path):
    pair = [instances.start("support-led"), instances.start("support-led")]
    for s in STRATEGIES:
        if s != "support-led":
            instances.start(s)
    wait_joined(pair)
    args = ["credit-card-issuer", "--seed", "23", "--replications", "8", "--days", "2"]
    finished(compare_over_kafka(broker.bootstrap, tmp_path / "shared", "run-shared", *args))
    assert_same_as_in_process(tmp_path / "shared", tmp_path, *args)
    first, second = (served(log, "run-shared") for log in pair)
    assert first and second, "both instances serve some streams"
    assert first.isdisjoint(second) and first | second == set(range(8))


def test_an_instance_added_mid_run_changes_no_number(broker, instances, tmp_path):
    """The run has two lockstep groups of 8 replications; the second instance joins during the
    first, so the control partitions are shared out anew and the streams in flight follow them:
    the newcomer takes its share over from their snapshots (tests/e2e/test_recovery.py), and
    the second group's streams are shared between both. The run is paused (SIGSTOP) while the
    newcomer starts and joins, so the join falls inside the first group however slow the machine."""
    first = instances.start("support-led")
    for s in STRATEGIES:
        if s != "support-led":
            instances.start(s)
    wait_joined([first])
    args = ["credit-card-issuer", "--seed", "24", "--replications", "16", "--days", "4"]
    proc = compare_over_kafka(broker.bootstrap, tmp_path / "mid", "run-mid", *args)
    deadline = time.monotonic() + JOIN_S
    while served(first, "run-mid") != set(range(8)) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGSTOP)
    try:
        second = instances.start("support-led")
        wait_joined([first, second])
    finally:
        proc.send_signal(signal.SIGCONT)
    finished(proc)
    assert_same_as_in_process(tmp_path / "mid", tmp_path, *args)
    one, two = served(first, "run-mid"), served(second, "run-mid")
    assert one | two == set(range(16))
    assert two & set(range(8)), "the newcomer took streams of the first group over in flight"
    assert two - set(range(8)), "the newcomer served streams of the second group"
