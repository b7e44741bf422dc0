"""Faults of a Kafka run end it with one clear line, fast, and leave no topics behind.

All on the real embedded broker (Tansu) and real strategy services; the broker is lost by
killing its process, a service by SIGKILL, a run by SIGTERM/SIGINT as `kill` and Ctrl-C do.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from socialsim.bootstrap import no_social
from socialsim.comparison import run
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.stack import ServiceDied, kafka_stack, last_error, new_run_id
from socialsim.kafka.topics import TopicAdmin, run_topics
from tests.conftest import small

SCENARIO = "credit-card-issuer"
ARMS_OF_SCENARIO = ("support-led", "marketing-led", "comms-led", "captain-and-crew")
# [s] how soon a fault must end the run, from the moment it happens
FAIL_WITHIN_S = 10.0
# [s] how long a started run may take to reach its first exchanged ticks on two shared cores
STARTUP_S = 60.0
# [s] between the signals an impatient user sends
IMPATIENCE_S = 0.05


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    b = EmbeddedBroker.start()
    yield b
    b.stop()


def topics_of(bootstrap: str, run_id: str) -> list[str]:
    admin = TopicAdmin(bootstrap)
    try:
        return [t for t in admin.list() if t.startswith(f"{run_id}.")]
    finally:
        admin.close()


def start_compare(bootstrap: str, run_id: str, out: Path, days: int = 60) -> subprocess.Popen[str]:
    """`socialsim compare` over Kafka in its own process, as a user starts it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socialsim.cli",
            "compare",
            SCENARIO,
            "--transport",
            "kafka",
            "--bootstrap",
            bootstrap,
            "--run-id",
            run_id,
            "--customers",
            "300",
            "--days",
            str(days),
            "--replications",
            "2",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_exchanging(out: Path, run_id: str, bootstrap: str) -> None:
    """Until the run is past its start: every service has logged, and answers flow (a responses
    topic of generation 0 holds records)."""
    deadline = time.monotonic() + STARTUP_S
    logs = [out / "logs" / f"{arm}.log" for arm in ARMS_OF_SCENARIO]
    while time.monotonic() < deadline:
        if all(log.exists() and log.stat().st_size > 0 for log in logs) and _answered(bootstrap, run_id):
            return
        time.sleep(0.2)
    raise AssertionError(f"the run did not start exchanging ticks within {STARTUP_S:.0f} s")


def _answered(bootstrap: str, run_id: str) -> bool:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(f"{run_id}.support-led.responses.0", p) for p in range(3)]
        return sum(consumer.end_offsets(parts).values()) > 0
    finally:
        consumer.close()


def cli_start_s() -> float:
    """How long the CLI takes to start and exit here [s] (imports; slow on a loaded machine)."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "socialsim.cli", "--help"], capture_output=True, check=True)
    return time.monotonic() - started


def finish(proc: subprocess.Popen[str], since: float) -> tuple[int, str, float]:
    """(exit code, stderr, seconds from `since` to the exit)."""
    _, err = proc.communicate(timeout=STARTUP_S)
    return proc.returncode, err, time.monotonic() - since


def test_a_lost_broker_fails_the_run_within_seconds_in_one_line_naming_it(broker, tmp_path):
    run_id = new_run_id("lost")
    out = tmp_path / "out"
    proc = start_compare(broker.bootstrap, run_id, out)
    try:
        wait_exchanging(out, run_id, broker.bootstrap)
        broker.process.kill()
        code, err, took = finish(proc, time.monotonic())
    finally:
        proc.kill()
    assert code == 1, err
    assert took < FAIL_WITHIN_S, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # no traceback, no reconnect noise of the Kafka clients
    assert broker.bootstrap in lines[0] and "lost" in lines[0], err
    client_log = (out / "logs" / "kafka-client.log").read_text()
    assert "Unable connect" in client_log or "Connection" in client_log  # the noise went here


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_run_on_an_external_broker_deletes_its_topics(broker, tmp_path, sig):
    run_id = new_run_id(f"interrupted-{sig.name}")
    out = tmp_path / "out"
    proc = start_compare(broker.bootstrap, run_id, out)
    try:
        wait_exchanging(out, run_id, broker.bootstrap)
        interrupted = time.monotonic()
        while proc.poll() is None and time.monotonic() - interrupted < FAIL_WITHIN_S:
            proc.send_signal(sig)  # an impatient user: signals during the cleanup must not cut it short
            time.sleep(IMPATIENCE_S)
        code, err, took = finish(proc, interrupted)
    finally:
        proc.kill()
    assert topics_of(broker.bootstrap, run_id) == []
    # the cleanup done, the exiting process may still be ended by one of the signals that follow
    assert code in (130, -sig), err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # no traceback
    # the first Ctrl-C asks for a stop at the end of the simulated day (checkpoint, partial
    # outputs), and the next one, 50 ms later, stops at once; SIGTERM always stops at once
    resumable = lines[0].startswith("interrupted: ") and f"--resume {out}" in lines[0]
    at_day_end = sig == signal.SIGINT and resumable
    assert lines[0] == "interrupted: every process the run started has been stopped" or at_day_end, err
    assert took < FAIL_WITHIN_S, err


def test_a_reused_run_id_with_leftover_topics_fails_at_once_saying_how_to_remove_them(broker, tmp_path):
    run_id = new_run_id("leftover")
    admin = TopicAdmin(broker.bootstrap)
    try:
        admin.create(run_topics(run_id, list(ARMS_OF_SCENARIO)), 3)  # what a killed run leaves
    finally:
        admin.close()
    before = topics_of(broker.bootstrap, run_id)
    started = time.monotonic()
    code, err, took = finish(start_compare(broker.bootstrap, run_id, tmp_path / "out"), started)
    assert code == 1, err
    assert took < FAIL_WITHIN_S + cli_start_s(), err  # not after the first tick's timeout
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert run_id in lines[0] and "already exist" in lines[0] and "--delete" in lines[0], err
    assert topics_of(broker.bootstrap, run_id) == before  # someone else's topics are not ours to delete


def test_a_killed_service_is_reported_by_its_exit_not_by_a_coloured_info_line(broker, tmp_path):
    """Replacing is allowed 0 times here, so the death is what the run reports (a replacement,
    covered by tests/e2e/test_recovery.py, would let the run complete)."""
    sc = small(customers=150, days=5)
    victim = "support-led"
    with (
        pytest.raises(ServiceDied) as died,
        kafka_stack(
            sc,
            new_run_id("kill"),
            bootstrap=broker.bootstrap,
            log_dir=tmp_path,
        ) as k,
    ):
        k.services.max_replacements = 0

        def kill(done: int, total: int) -> None:
            if done == 10:
                os.kill(k.services.processes[victim].pid, signal.SIGKILL)

        run(sc, k.transport, baseline=no_social(), keep_events=False, progress=kill)
    message = str(died.value)
    assert victim in message and "killed by SIGKILL" in message, message
    assert "\x1b" not in message and " INFO " not in message, message
    log = (tmp_path / f"{victim}.log").read_text()
    assert " INFO " in log and "\x1b" not in log  # the service logs plain text to its file


def test_a_dead_service_is_reported_by_its_last_error_line(tmp_path):
    """The log's shape is that of a real service (FastStream records, then the CLI's `error:` line,
    wrapped by the terminal library); the file is written here because no real failure leaves
    an ERROR record followed by INFO records on demand."""
    log = tmp_path / "support-led.log"
    log.write_text(
        "2026-01-01 10:00:00,000 INFO socialsim.service.support-led - started\n"
        "2026-01-01 10:00:01,000 ERROR socialsim.service.support-led - handler failed: boom\n"
        "2026-01-01 10:00:02,000 INFO socialsim.service.support-led - stopping\n"
    )
    assert (
        last_error(log)
        == "2026-01-01 10:00:01,000 ERROR socialsim.service.support-led - handler failed: boom"
    )
    log.write_text(
        "2026-01-01 10:00:00,000 INFO socialsim.service.support-led - started\n"
        "error: cannot reach a Kafka broker at 127.0.0.1:9092: [Errno 111] Connection\n"
        "refused\n"
    )
    assert (
        last_error(log)
        == "error: cannot reach a Kafka broker at 127.0.0.1:9092: [Errno 111] Connection refused"
    )
