"""`explore --executor kafka` with `socialsim worker`s on the real embedded broker: the same outputs
as a local run, byte for byte; a worker killed with SIGKILL while computing a point changes
nothing; forged messages are dead-lettered, never used; a worker on other code (or any refusal)
fails the run at once with the worker's line; a point still computing when its run ends brings
back none of the run's topics; no worker gives one line within the timeout; nothing is left on the
broker. Tiny world (4 points, 300 customers, 5 days) so the whole file takes about a minute.

The worker processes and this one each read the sources' digest when the workers start: someone
editing the tree in those seconds makes them disagree, and the workers rightly refuse the tasks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
import yaml
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.contracts.points import PointNote, PointTask
from socialsim.contracts.wire import DeadLetter
from socialsim.explore import execute
from socialsim.explore.execute import KafkaExecutor, LocalExecutor, PointError, code_digest
from socialsim.explore.experiment import LoadedExperiment, RunOptions, load_experiment
from socialsim.explore.explore import explore
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.points import POINT_PARTITIONS, PREFIX, digest
from socialsim.kafka.topics import TopicAdmin
from socialsim.kafka.worker import Worker
from tests.conftest import tiny_experiment
from tests.processes import alive

ROOT = Path(__file__).resolve().parents[2]
Workers = list[subprocess.Popen[bytes]]
OUTPUTS = ("decision.json", "results.parquet", "experiment.html")
# [s] a generous bound on a tiny explore over Kafka, worker group joins and one rebalance included
RUN_S = 60.0
# [s] how long a test waits for an explore run's topics to appear
APPEAR_S = 20.0
# [s] how long a test waits for a worker to delete a topic its late message brought back
SETTLE_S = 10.0
# [s] how often an in-process test worker says "working": short, so a few notes fit in a short test
NOTE_EVERY_S = 0.2
# [s] how often the worker processes say "working": well under one tiny point's computing time, so a
# point's second note shows its worker is computing (the first comes before it starts)
WORKER_NOTE_EVERY_S = 0.1


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> LoadedExperiment:
    path = tiny_experiment(tmp_path_factory.mktemp("exp"), points=4)
    return load_experiment(path, RunOptions(customers=300, days=5))


@pytest.fixture(scope="module")
def local(experiment: LoadedExperiment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    explore(experiment, out, LocalExecutor(1))
    return out


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedBroker]:
    b = EmbeddedBroker.start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def lonely() -> Iterator[EmbeddedBroker]:
    """A broker the worker processes do not listen to."""
    b = EmbeddedBroker.start()
    yield b
    b.stop()


@contextlib.contextmanager
def serving(worker: Worker) -> Iterator[None]:
    """`worker` serving in a thread of this process until the block ends: in-process because its
    `compute` is the test's (one that waits to be released), not a simulation."""
    stop = threading.Event()

    async def main() -> None:
        served = asyncio.ensure_future(worker.serve())
        while not stop.is_set() and not served.done():
            await asyncio.sleep(0.05)
        served.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await served

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def start_worker(bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    """A worker process, as `socialsim worker` starts it but saying "working" every WORKER_NOTE_EVERY_S."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    serve = (
        "import sys; from socialsim.explore.execute import serve_worker; "
        "serve_worker(sys.argv[1], float(sys.argv[2]))"
    )
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", serve, bootstrap, str(WORKER_NOTE_EVERY_S)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture(scope="module")
def workers(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    logs = tmp_path_factory.mktemp("workers")
    code_digest()  # this process reads the sources just before its workers do: they see the same code
    procs = [start_worker(broker.bootstrap, logs / f"w{i}.log") for i in range(2)]
    yield procs
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait(10)


def explore_topics(bootstrap: str) -> list[str]:
    admin = TopicAdmin(bootstrap)
    try:
        return [t for t in admin.list() if t.startswith(PREFIX)]
    finally:
        admin.close()


def topics_left(bootstrap: str) -> list[str]:
    """The explore topics still on the broker once the workers have cleaned up. A worker whose message
    was on its way when the run deleted its topics brings one back (the embedded broker creates
    topics on demand) and deletes it again (`Worker._publish`): only a topic still there after
    SETTLE_S is left behind."""
    deadline = time.monotonic() + SETTLE_S
    while (left := explore_topics(bootstrap)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


class Watch(threading.Thread):
    """Reads the running explore's results and dead-letter topics as they fill, like any client
    of the broker could; `on_note` sees each decodable note (and may act, e.g. kill its worker)."""

    def __init__(self, bootstrap: str, on_note: Callable[[PointNote, KafkaProducer], None] | None = None):
        super().__init__(daemon=True)
        self.bootstrap, self.on_note = bootstrap, on_note
        self.notes: list[PointNote] = []  # the workers' own, not what the test forges (`sent`)
        self.sent: set[bytes] = set()
        self.letters: list[DeadLetter] = []
        self.run_prefix: str | None = None
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        self.finished = threading.Event()
        self.ready = threading.Event()
        self._asked, self._caught_up = threading.Event(), threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + APPEAR_S
        while self.run_prefix is None and time.monotonic() < deadline:
            found = [t for t in explore_topics(self.bootstrap) if t.endswith(".results")]
            self.run_prefix = found[0].removesuffix(".results") if found else None
            time.sleep(0.02)
        assert self.run_prefix is not None, "the explore run's topics never appeared"
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap, fetch_max_wait_ms=50, allow_auto_create_topics=False
        )
        kinds = ("results", "dead-letter")
        consumer.assign(
            [
                TopicPartition(f"{self.run_prefix}.{kind}", p)
                for kind in kinds
                for p in range(POINT_PARTITIONS)
            ]
        )
        consumer.seek_to_beginning()
        self.ready.set()
        while not self.finished.is_set():
            if self._asked.is_set() and not self._caught_up.is_set():
                ends = consumer.end_offsets(list(consumer.assignment()))
                if all(consumer.position(tp) >= end for tp, end in ends.items()):
                    self._caught_up.set()
            for tp, records in consumer.poll(timeout_ms=100).items():
                for rec in records:
                    if tp.topic.endswith(".dead-letter"):
                        self.letters.append(msgspec.json.decode(rec.value, type=DeadLetter))
                        continue
                    if rec.value in self.sent:
                        continue
                    note = msgspec.json.decode(rec.value, type=PointNote)
                    self.notes.append(note)
                    if self.on_note is not None:
                        self.on_note(note, self.producer)
        consumer.close()

    def read_to_end(self) -> None:
        """Wait until the watch has read everything on its topics."""
        self._asked.set()
        assert self._caught_up.wait(SETTLE_S), "the watch did not read its topics to their end"

    def stop(self) -> None:
        self.finished.set()
        self.join(10)
        self.producer.close()


@contextlib.contextmanager
def read_before_deleting(watch: Watch, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An explore run deletes its topics the moment it has its results, maybe before the watch has
    read the last of them (the note of the point finished last, say): here the watch reads them to
    their end first."""
    delete = TopicAdmin.delete

    def read_then_delete(admin: TopicAdmin, names: list[str]) -> None:
        watch.read_to_end()
        delete(admin, names)

    with monkeypatch.context() as patched:
        patched.setattr(TopicAdmin, "delete", read_then_delete)
        yield


def assert_same_outputs(local: Path, out: Path) -> None:
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (local / name).read_bytes(), name


def test_two_workers_give_the_local_outputs_whatever_is_forged_and_leave_nothing(
    experiment: LoadedExperiment,
    workers: Workers,
    local: Path,
    broker: EmbeddedBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forged: list[bytes] = []

    redelivered: list[PointNote] = []

    def forge(note: PointNote, producer: KafkaProducer) -> None:
        """Once a genuine note shows the run: results that must all be dead-lettered, never used;
        and the first result once more, as a point redone after a worker died would give it."""
        if note.status == "done" and not redelivered:
            redelivered.append(note)
            again = msgspec.json.encode(note)
            watch.sent.add(again)
            producer.send(f"{watch.run_prefix}.results", again, partition=0)
        if forged or note.status != "working":
            return
        forged.extend(
            [
                b"\xff not json",
                msgspec.json.encode(msgspec.structs.replace(note, run="elsewhere", status="done")),
                msgspec.json.encode(msgspec.structs.replace(note, index=999, status="done")),
                msgspec.json.encode(msgspec.structs.replace(note, task_sha256="0" * 64, status="done")),
                msgspec.json.encode(msgspec.structs.replace(note, status="done", table=b"not arrow")),
            ]
        )
        watch.sent.update(forged)
        for value in forged:
            producer.send(f"{watch.run_prefix}.results", value, partition=0)
        producer.flush()

    watch = Watch(broker.bootstrap, forge)
    watch.start()
    executor = KafkaExecutor(broker.bootstrap, RUN_S)
    with read_before_deleting(watch, monkeypatch):
        explore(experiment, tmp_path, executor)
    watch.stop()
    assert_same_outputs(local, tmp_path)
    done_by = {n.worker for n in watch.notes if n.status == "done"}
    assert len(done_by) == 2, f"both workers should have computed points: {done_by}"
    assert forged and executor.exchange is not None
    assert redelivered and executor.exchange.duplicates >= 1, "the repeat was read, and ignored"
    reasons = executor.exchange.dead_letters
    for part in ("not a point note", "not this run", "not a point of this run", "did not publish", "Arrow"):
        assert any(part in r for r in reasons), (part, reasons)
    assert len(reasons) == len(forged)
    assert sorted(letter.reason for letter in watch.letters) == sorted(reasons), "each one is on the topic"
    assert topics_left(broker.bootstrap) == []
    assert all(w.poll() is None for w in workers)


def test_a_worker_dead_letters_forged_points_and_carries_on(broker: EmbeddedBroker, workers: Workers) -> None:
    run = "forgery-0"
    points, letters, results = (f"{PREFIX}.{run}.{kind}" for kind in ("points", "dead-letter", "results"))
    admin = TopicAdmin(broker.bootstrap)
    admin.create([points, letters, results], POINT_PARTITIONS)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=0)
    bad_scenario = PointTask(
        run=run, experiment="forged", index=0, seed=1, values={}, scenario={"nope": 1}, code=code_digest()
    )
    other_run = msgspec.structs.replace(bad_scenario, run="elsewhere")
    other_code = msgspec.structs.replace(bad_scenario, index=1, code="0" * 64)
    for task in (bad_scenario, other_run, other_code):
        producer.send(points, msgspec.json.encode(task), partition=0)
    producer.send(points, b"{not json", partition=0)
    producer.flush()
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, fetch_max_wait_ms=50)
    consumer.assign([TopicPartition(t, p) for t in (letters, results) for p in range(POINT_PARTITIONS)])
    consumer.seek_to_beginning()
    reasons: list[str] = []
    failed: list[PointNote] = []  # every note on the results topic
    deadline = time.monotonic() + RUN_S
    while (len(reasons) < 4 or sum(n.status == "failed" for n in failed) < 2) and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=100).items():
            if tp.topic == letters:
                reasons += [msgspec.json.decode(r.value, type=DeadLetter).reason for r in records]
            else:
                failed += [msgspec.json.decode(r.value, type=PointNote) for r in records]
    time.sleep(1.0)  # [s] time for a note that must not come (the other run's) to come
    failed += [
        msgspec.json.decode(r.value, type=PointNote)
        for records in consumer.poll(timeout_ms=100).values()
        for r in records
    ]
    consumer.close()
    producer.close()
    admin.delete([points, letters, results])
    admin.close()
    assert len(reasons) == 4, reasons
    assert any(r.startswith("not a point task") for r in reasons), reasons
    assert any(r.startswith("scenario: ") for r in reasons), reasons
    assert any("came on the points topic" in r for r in reasons), reasons
    assert any(r.startswith("the task is for other code") for r in reasons), reasons
    # the two tasks of this run fail their points at once; the other run's is answered nowhere
    ours = {digest(msgspec.json.encode(t)): t.index for t in (bad_scenario, other_code)}
    assert {n.task_sha256 for n in failed} == set(ours), "only this run's tasks are answered"
    final = {n.index: n for n in failed if n.status != "working"}
    assert sorted((i, n.status, n.run, ours[n.task_sha256]) for i, n in final.items()) == [
        (0, "failed", run, 0),
        (1, "failed", run, 1),
    ]
    assert final[0].error.startswith("refused: scenario: "), final[0]
    assert final[1].error.startswith("refused: the task is for other code"), final[1]
    assert all(w.poll() is None for w in workers), "no forgery may crash a worker"


def test_explore_fails_at_once_with_the_line_of_a_worker_on_other_code(
    experiment: LoadedExperiment,
    workers: Workers,
    broker: EmbeddedBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Here explore is the one on other code (its digest faked): the workers refuse its tasks, and
    it stops with a worker's reason, not after the silence timeout."""
    monkeypatch.setattr(execute, "code_digest", lambda: "0" * 64)
    start = time.monotonic()
    with pytest.raises(PointError) as failed:
        explore(experiment, tmp_path, KafkaExecutor(broker.bootstrap, RUN_S))
    assert time.monotonic() - start < RUN_S / 2, "it did not wait for the silence timeout"
    (line,) = failed.value.lines
    assert line.startswith("worker ") and ": refused: the task is for other code (sha256 000000000000" in line
    assert topics_left(broker.bootstrap) == []
    assert all(w.poll() is None for w in workers)


def test_a_worker_killed_mid_point_changes_nothing(
    experiment: LoadedExperiment,
    workers: Workers,
    local: Path,
    broker: EmbeddedBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    killed: dict[int, int] = {}  # point -> pid of the worker killed while computing it
    said: dict[tuple[str, int], int] = {}  # (worker, point) -> "working" notes so far

    def kill_first_worker_computing(note: PointNote, _: KafkaProducer) -> None:
        if note.status != "working" or killed:
            return
        said[note.worker, note.index] = said.get((note.worker, note.index), 0) + 1
        if said[note.worker, note.index] == 2:  # its second: the point has been computing a while
            pid = int(note.worker.rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed[note.index] = pid

    watch = Watch(broker.bootstrap, kill_first_worker_computing)
    watch.start()
    with read_before_deleting(watch, monkeypatch):
        explore(experiment, tmp_path, KafkaExecutor(broker.bootstrap, RUN_S))
    watch.stop()
    ((point, pid),) = killed.items()
    assert not alive(pid)
    finishers = {n.worker for n in watch.notes if n.status == "done" and n.index == point}
    assert finishers and all(not w.endswith(f":{pid}") for w in finishers), (
        "the point was finished by another"
    )
    assert_same_outputs(local, tmp_path)
    time.sleep(3 * WORKER_NOTE_EVERY_S)  # a worker still computing a point would have said so by now
    assert topics_left(broker.bootstrap) == []


def first_note(consumer: KafkaConsumer) -> PointNote | None:
    """The first note `consumer` reads within RUN_S."""
    deadline = time.monotonic() + RUN_S
    while time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=100).values():
            return msgspec.json.decode(records[0].value, type=PointNote)
    return None


def test_a_worker_still_computing_when_its_run_ends_brings_back_none_of_its_topics(
    lonely: EmbeddedBroker,
) -> None:
    """The embedded broker creates a topic on demand: a worker that went on saying "working" about a
    point of an ended run (a point redelivered after a rebalance, say) would bring `.results` back."""
    run = "ended-0"
    names = [f"{PREFIX}.{run}.{kind}" for kind in ("points", "results", "dead-letter")]
    admin = TopicAdmin(lonely.bootstrap)
    admin.create(names, POINT_PARTITIONS)
    release = threading.Event()

    def compute(_: PointTask) -> bytes:
        release.wait(RUN_S)
        return b"rows"

    task = PointTask(run=run, experiment="ends", index=0, seed=1, values={}, scenario={}, code="any")
    producer = KafkaProducer(bootstrap_servers=lonely.bootstrap, linger_ms=0)
    producer.send(names[0], msgspec.json.encode(task), partition=0)
    producer.close()
    consumer = KafkaConsumer(
        bootstrap_servers=lonely.bootstrap, fetch_max_wait_ms=50, allow_auto_create_topics=False
    )
    consumer.assign([TopicPartition(names[1], p) for p in range(POINT_PARTITIONS)])
    consumer.seek_to_beginning()
    with serving(Worker(lonely.bootstrap, compute, name="test:0", working_every_s=NOTE_EVERY_S)):
        first_note(consumer)
        consumer.close()
        admin.delete(names)  # the run ends while its point is being computed
        time.sleep(5 * NOTE_EVERY_S)
        left_while_computing = explore_topics(lonely.bootstrap)
        release.set()
        time.sleep(5 * NOTE_EVERY_S)  # the "done" note is dropped as well
        left_after = explore_topics(lonely.bootstrap)
        # and the worker is free for the next run
        names = [f"{PREFIX}.next-0.{kind}" for kind in ("points", "results", "dead-letter")]
        admin.create(names, POINT_PARTITIONS)
        producer = KafkaProducer(bootstrap_servers=lonely.bootstrap, linger_ms=0)
        producer.send(names[0], msgspec.json.encode(msgspec.structs.replace(task, run="next-0")), partition=0)
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=lonely.bootstrap, fetch_max_wait_ms=50)
        consumer.assign([TopicPartition(names[1], p) for p in range(POINT_PARTITIONS)])
        consumer.seek_to_beginning()
        next_note = first_note(consumer)
        consumer.close()
        admin.delete(names)
    admin.close()
    assert left_while_computing == [], "working notes brought the run's topics back"
    assert left_after == [], "the done note brought the run's topics back"
    assert next_note is not None and next_note.run == "next-0", "the worker went on to the next run"


def test_no_worker_is_one_line_within_the_timeout(lonely: EmbeddedBroker, tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    spec = {
        "scenario": "restaurant-chain",
        "replications": 2,
        "uncertain": {"world.reactions.help_half_life_minutes": {"low": 10, "high": 240}},
        "design": {"method": "lhs", "points": 2},
        "metrics": ["revenue"],
    }
    path.write_text(yaml.safe_dump(spec))
    flags = ["explore", str(path), "--customers", "300", "--days", "5", "--out", str(tmp_path / "out")]
    flags += ["--executor", "kafka"]
    start = time.monotonic()
    gave_up = CliRunner().invoke(app, [*flags, "--bootstrap", lonely.bootstrap, "--worker-timeout", "2"])
    assert time.monotonic() - start < 20
    assert gave_up.exit_code == 1, gave_up.output
    assert gave_up.exception is None or isinstance(gave_up.exception, SystemExit)
    assert gave_up.stderr.startswith("error: no worker answered for 2 s"), gave_up.stderr
    assert len(gave_up.stderr.strip().splitlines()) == 1, gave_up.stderr
    assert explore_topics(lonely.bootstrap) == []
    missing = CliRunner().invoke(app, flags)
    assert missing.exit_code == 2 and missing.stderr.startswith("--bootstrap:"), missing.stderr
