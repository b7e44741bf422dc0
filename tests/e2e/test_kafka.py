"""The Kafka transport against a real Kafka-protocol broker (the embedded Tansu, on loopback).

Strategy services run as real OS processes, exactly as `compare --transport kafka` starts them.
docs/architecture.md, Invariants: Transport parity, Bad input is refused cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from kafka import KafkaConsumer
from typer.testing import CliRunner

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.cli import app
from socialsim.comparison import run
from socialsim.configload import config_sha256
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.stack import ServiceDied, kafka_stack, new_run_id
from socialsim.kafka.topics import TopicAdmin, dead_letter_topic, topics
from socialsim.kafka.transport import KafkaTransport
from tests.conftest import small
from tests.processes import alive, children, descendants

SMALL = ["--customers", "150", "--days", "2", "--replications", "2"]
# [s] how long a run may take to start its broker and services: generous, as a loaded machine
# takes tens of seconds only to import them (waiting longer costs nothing when they come sooner)
STARTUP_S = 120.0


@pytest.fixture(scope="module")
def broker():
    b = EmbeddedBroker.start()
    yield b
    b.stop()


def _compare(tmp, name, *args):
    out = tmp / name
    result = CliRunner().invoke(app, ["compare", *args, *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


# The transport never reads what it carries, so the scenario and the partitioning are crossed on
# the diagonal: each scenario and each layout (one partition and one generation; six partitions,
# generations of 7 ticks) once, not all four pairs.
@pytest.mark.parametrize(
    "scenario,seed,partitions,ticks_per_topic",
    [("credit-card-issuer", 11, 1, 200), ("telecom-carrier", 12, 6, 7)],
)
def test_kafka_run_equals_in_process_run(broker, tmp_path, scenario, seed, partitions, ticks_per_topic):
    """Also across topic generations (48 ticks in generations of 7), leaving none of them behind."""
    run_id = f"parity-{scenario}-{partitions}"
    kafka = _compare(
        tmp_path,
        "kafka",
        scenario,
        "--seed",
        str(seed),
        "--transport",
        "kafka",
        "--run-id",
        run_id,
        "--bootstrap",
        broker.bootstrap,
        "--partitions",
        str(partitions),
        "--ticks-per-topic",
        str(ticks_per_topic),
    )
    admin = TopicAdmin(broker.bootstrap)
    assert [t for t in admin.list() if t.startswith(run_id)] == []
    admin.close()
    inproc = _compare(tmp_path, "inproc", scenario, "--seed", str(seed))
    k, i = json.loads((kafka / "summary.json").read_text()), json.loads((inproc / "summary.json").read_text())
    assert (k.pop("transport"), i.pop("transport")) == ("kafka", "inproc")
    # the baseline runs in-process under both transports; the arms over Kafka read against it
    assert k["baseline"]["name"] == "no-social" and all("incremental_profit" in m for m in k["arms"].values())
    assert k == i
    assert (kafka / "summary.json").read_text().replace('"kafka"', '"inproc"') == (
        inproc / "summary.json"
    ).read_text()
    assert pq.read_table(kafka / "events.parquet").equals(pq.read_table(inproc / "events.parquet"))


def test_embedded_broker_by_default_and_nothing_left_running(tmp_path):
    """Only this test's own processes count: others on the machine may run brokers of their own."""
    before = descendants(os.getpid())  # the module's broker, if an earlier test started it
    out = _compare(tmp_path, "k", "credit-card-issuer", "--transport", "kafka", "--days", "1")
    assert json.loads((out / "summary.json").read_text())["transport"] == "kafka"
    deadline = time.monotonic() + 5
    while (leftover := descendants(os.getpid()) - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert {p: Path(f"/proc/{p}/cmdline").read_bytes() for p in leftover} == {}


class Noisy(KafkaTransport):
    """Sends every tick twice, and garbage once, to prove idempotency and dead-lettering."""

    BAD = [b"\x00\xffnot json at all", b'{"run": "x", "shape": "wrong"}', None]

    async def _publish(self, batches):
        await super()._publish(batches)
        await super()._publish(batches)  # duplicate delivery of the whole tick
        tick = next(iter(batches.values())).closed.tick
        if tick == 3:
            arm = next(iter(batches))[1]
            unknown = json.dumps(
                {"run": self.run, "replication": 0, "event": {"type": "coupon", "tick": 3}}
            ).encode()
            for value in self.BAD[:2] + [unknown]:
                await self._producer.send_and_wait(topics(self.run, arm, self.generation)[0], value, key=b"x")
            await self._producer.send_and_wait(
                topics(self.run, arm, self.generation)[1], b"garbage reply", key=b"x"
            )


def _dead_letters(bootstrap: str, run_id: str, expected: int) -> list[dict]:
    consumer = KafkaConsumer(
        dead_letter_topic(run_id),
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    letters = []
    deadline = time.monotonic() + 15
    while len(letters) < expected and time.monotonic() < deadline:
        letters += [json.loads(m.value) for m in consumer]
    consumer.close()
    return letters


def test_duplicates_and_garbage_change_nothing_and_garbage_is_dead_lettered(broker):
    """One replication at a time (the second restarts at tick 0) over generations of 5 ticks."""
    sc = small(customers=150, days=2)
    baseline = run(sc, inprocess_transport(), baseline=no_social(), keep_events=False)
    run_id = new_run_id(config_sha256(sc))
    with kafka_stack(
        sc,
        run_id,
        bootstrap=broker.bootstrap,
        partitions=3,
        transport_class=Noisy,
        ticks_per_topic=5,
    ) as k:
        noisy = run(sc, k.transport, baseline=no_social(), keep_events=False, in_flight=1)
        letters = _dead_letters(broker.bootstrap, run_id, 8)
    assert noisy.per_arm == baseline.per_arm and noisy.per_baseline == baseline.per_baseline
    reasons = sorted(letter["reason"] for letter in letters)
    assert len(letters) == 8, reasons  # four per replication: tick 3 comes twice
    assert sum("not a valid event" in r for r in reasons) == 8
    assert any("coupon" in r for r in reasons)
    originals = {letter["original"] for letter in letters}
    assert "garbage reply" in originals and '{"run": "x", "shape": "wrong"}' in originals


def test_a_killed_service_that_may_not_be_replaced_fails_the_run_quickly_naming_the_arm(broker):
    """Replacing is allowed 0 times here (tests/e2e/test_recovery.py covers the replacement)."""
    sc = small(customers=150, days=5)
    victim = "support-led"
    with (
        pytest.raises(ServiceDied, match=victim),
        kafka_stack(sc, new_run_id("kill"), bootstrap=broker.bootstrap) as k,
    ):
        k.services.max_replacements = 0
        pids = [p.pid for p in k.services.processes.values()]
        killed_at = []

        def kill(done, total):
            if done == 10 and not killed_at:
                os.kill(k.services.processes[victim].pid, signal.SIGKILL)
                killed_at.append(time.monotonic())

        try:
            run(sc, k.transport, baseline=no_social(), keep_events=False, progress=kill)
        finally:
            assert killed_at and time.monotonic() - killed_at[0] < 10
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_unreachable_broker_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "compare",
            "credit-card-issuer",
            *SMALL,
            "--transport",
            "kafka",
            "--bootstrap",
            "127.0.0.1:1",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 1
    assert "cannot reach a Kafka broker at 127.0.0.1:1" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_run_leaves_no_broker_or_service_behind(tmp_path, how):
    """SIGTERM cleans up like Ctrl-C; after SIGKILL, when no cleanup runs, the kernel stops the children."""
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socialsim.cli",
            "compare",
            "credit-card-issuer",
            "--transport",
            "kafka",
            "--days",
            "60",
            "--customers",
            "300",
            "--replications",
            "2",
            "--out",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + STARTUP_S
    while len(started := children(run.pid)) < 5 and time.monotonic() < deadline:  # broker + 4 services
        time.sleep(0.2)
    assert len(started) == 5
    run.send_signal(how)
    run.wait(timeout=20)
    deadline = time.monotonic() + 10
    while any(alive(c) for c in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [c for c in started if alive(c)] == []
