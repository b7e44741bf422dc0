"""Start, and always stop, what a Kafka run needs: a broker, the run's topics, one service per strategy.

The services it starts serve this run only (`socialsim service --strategy NAME --run-id RUN`);
with `external_services`, long-lived services already running on the broker serve it. A service
it started that is killed by a signal (SIGKILL, an out-of-memory kill) is replaced by a new
process, at most `MAX_REPLACEMENTS` times per strategy; the replacement restores the run's
streams from their snapshots and replays what followed (`socialsim.kafka.service`), while the
transport waits for it. A service that exits by itself (a refused input, an error) is not
replaced: the run fails with its last error line.

Every process this module starts is stopped by its PID when the run ends — on success, on an
error, on Ctrl-C and on SIGTERM — and the run's topics are deleted, so nothing is left behind.
A run whose topics already exist (a killed run's leftovers under the same run id) stops before
it starts. A lost broker or a dead service ends the run with one line naming it; the Kafka
clients' reconnect noise goes to `<log_dir>/kafka-client.log`, not to the terminal.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from simulator.transport import TransportError
from socialsim.contracts.scenario import Scenario

from .broker import BrokerError, EmbeddedBroker, wait_reachable
from .children import die_with_parent
from .resume import RESUMED, ResumableKafkaTransport
from .snapshots import SNAPSHOT_CONFIG, snapshot_topic
from .topics import TICKS_PER_TOPIC, TopicAdmin, run_topics
from .transport import REPLACEMENT_TIMEOUT_S, KafkaTransport
from .watchdog import BrokerWatchdog

# Loggers that write to the run's log file, not the terminal: the Kafka clients (aiokafka,
# kafka-python), which log every reconnect attempt, and this module's cleanup notes.
CLIENT_LOGGERS = ("aiokafka", "kafka", __name__)
CLIENT_LOG = "kafka-client.log"
# A line of a service's log that reports a failure: a logged ERROR, a CLI-style one-liner
# (`error: ...`, `refusing to go on: ...`), or the last line of a Python traceback.
_ERROR_LINE = re.compile(r"(\bERROR\b|^[a-z][a-z ]*: |^[A-Za-z_.]*(Error|Exception)\b)")
# A line that starts a new record; any other line continues the one before (a wrapped message).
_RECORD_START = re.compile(r"^(\d{4}-\d\d-\d\d|[a-z][a-z ]*: |Traceback|[A-Za-z_.]*(Error|Exception)\b)")
# How a service's log begins each later run's lines: a resume appends to the killed run's logs
# (they say why it died), and only what follows the last mark is read for the service's last error.
LOG_MARK = "===="
# [s] a service asked to stop gets this long to close its Kafka clients before SIGKILL
STOP_GRACE_S = 5.0
# [processes] How many times one strategy's service is replaced in a run before its death fails
# the run: a service that keeps being killed would otherwise be restarted for ever.
MAX_REPLACEMENTS = 3
_CLEANUP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # what `kill` and Ctrl-C send

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # outside a run, notes go wherever the application logs, if anywhere


def log_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The transport's event loop reports here what asyncio would print to stderr: Kafka clients
    left unclosed by a lost broker, their pending tasks destroyed at exit."""
    log.warning("event loop: %s", context.get("message", context))


class LeftoverTopics(BrokerError):
    """Topics of this run id already exist: a killed run left them, or another run uses the id."""


class ServiceDied(TransportError):
    pass


def new_run_id(config_sha256: str) -> str:
    return f"socialsim-{config_sha256[:8]}-{uuid.uuid4().hex[:8]}"


def last_error(log: Path) -> str | None:
    """The last failure a service logged, its wrapped continuation lines joined, or None."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    marks = [i for i, line in enumerate(lines) if line.startswith(LOG_MARK)]
    lines = lines[marks[-1] + 1 :] if marks else lines
    found = [i for i, line in enumerate(lines) if _ERROR_LINE.search(line)]
    if not found:
        return None
    first = found[-1]
    end = next((j for j in range(first + 1, len(lines)) if _RECORD_START.match(lines[j])), len(lines))
    return " ".join(line.strip() for line in lines[first:end] if line.strip())


def log_mark(run: str | None) -> str:
    """The line between an earlier run's lines in a service's log and the next run's."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    if run is None:
        what = "long-lived service"
    elif RESUMED in run:
        what = f"resume {run} of run {run.split(RESUMED)[0]}"
    else:
        what = f"run {run}"
    return f"{LOG_MARK} {stamp}: {what} starts; the lines above are an earlier run's {LOG_MARK}\n"


def exit_description(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"


def strategies_of(scenario: Scenario) -> list[str]:
    """The strategies a run's arms name, in arm order, each once: one service serves all its arms."""
    return list(dict.fromkeys(s.name for s in scenario.arms.values()))


class Services:
    """One `socialsim service` process per strategy, each logging to `<log_dir>/<strategy>.log`."""

    def __init__(self, log_dir: Path, max_replacements: int = MAX_REPLACEMENTS) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.commands: dict[str, list[str]] = {}
        self.replacements: dict[str, int] = {}
        self.max_replacements = max_replacements
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def start(
        self,
        strategies: list[str],
        bootstrap: str,
        run: str | None,
        metrics_ports: dict[str, int] | None = None,
        metrics_host: str = "127.0.0.1",
    ) -> None:
        """Services of `run` only, or long-lived ones (`run` None) that serve every run announced.
        Each service logs to a file: a pipe nobody reads would fill and block the service. A log
        already there (a resumed run writes to the killed one's folder) is appended to, after a
        `log_mark` line, so why the killed run's services died stays readable."""
        for strategy in strategies:
            metrics = (
                ["--metrics-port", str(metrics_ports[strategy]), "--metrics-host", metrics_host]
                if metrics_ports
                else []
            )
            cmd = [
                sys.executable,
                "-m",
                "socialsim.cli",
                "service",
                "--strategy",
                strategy,
                "--bootstrap",
                bootstrap,
                *(["--run-id", run] if run else []),
                *metrics,
            ]
            self.logs[strategy] = self.log_dir / f"{strategy}.log"
            self.commands[strategy] = cmd
            if self.logs[strategy].exists() and self.logs[strategy].stat().st_size:
                with self.logs[strategy].open("a", encoding="utf-8") as log:
                    log.write(log_mark(run))
            self._spawn(strategy, "ab")

    def _spawn(self, strategy: str, mode: str) -> None:
        with self.logs[strategy].open(mode) as log:
            self.processes[strategy] = subprocess.Popen(
                self.commands[strategy],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    def check(self, before_replacing: Callable[[], None] = lambda: None) -> str | None:
        """Raise ServiceDied for a service that exited, or was killed once too often; replace one
        killed by a signal (after `before_replacing`, which may raise) and say so; else None."""
        for strategy, proc in self.processes.items():
            code = proc.poll()
            if code is None:
                continue
            died = f"the strategy service for {strategy!r} (pid {proc.pid}) {exit_description(code)}"
            replaced = self.replacements.get(strategy, 0)
            if code < 0 and replaced < self.max_replacements:
                before_replacing()
                self.replacements[strategy] = replaced + 1
                self._spawn(strategy, "ab")  # its log goes on: the dead process's lines stay above
                return f"{died}; replaced by pid {self.processes[strategy].pid}"
            reason = last_error(self.logs[strategy])
            limit = f" (replaced {replaced} times already)" if code < 0 else ""
            raise ServiceDied(died + limit + (f": {reason}" if reason else f" (log: {self.logs[strategy]})"))
        return None

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM each service, and SIGKILL what is still running `grace_s` [s] later."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + grace_s
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class KafkaRun:
    """What a Kafka run started: the transport to run over, and the parts it must stop."""

    transport: KafkaTransport
    services: Services
    bootstrap: str
    run: str
    broker: EmbeddedBroker | None


@contextmanager
def client_logs_to(path: Path) -> Iterator[None]:
    """Send the Kafka clients' logs to `path` only: their reconnect attempts are no news to a terminal."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in CLIENT_LOGGERS]
    saved = [lg.propagate for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, propagate in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.propagate = propagate
        handler.close()


class SignalsDeferred:
    """Cleanup runs to its end: a second Ctrl-C or SIGTERM during it would leave topics behind.

    `hold` ignores SIGINT and SIGTERM (only the main thread can); `release` restores their handlers."""

    def __init__(self) -> None:
        self._saved: dict[signal.Signals, Any] = {}

    def hold(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _CLEANUP_SIGNALS}

    def release(self) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)


def refuse_leftovers(admin: TopicAdmin, bootstrap: str, run: str) -> None:
    """A killed run cannot delete its topics; reusing its id would mix old events into the new run."""
    left = [t for t in admin.list() if t.startswith(f"{run}.")]
    if left:
        pattern = re.escape(f"{run}.").replace("\\-", "-") + ".*"  # Kafka's topic regex; "-" needs no escape
        raise LeftoverTopics(
            f"{len(left)} topics of run {run!r} already exist on the Kafka broker at {bootstrap} "
            f"(e.g. {left[0]}), left by an earlier run with this --run-id: give another --run-id, or "
            f"delete them, e.g. `kafka-topics.sh --bootstrap-server {bootstrap} --delete --topic '{pattern}'`"
        )


def quietly(
    what: str, step: Callable[[], None], skip: Callable[[], bool] = lambda: False
) -> Callable[[], None]:
    """A cleanup step whose failure is logged, not raised: it must not hide why the run ended,
    nor stop the steps after it. `skip` says when it cannot succeed (the broker is gone)."""

    def run_step() -> None:
        if skip():
            log.warning("skipped %s: the broker is gone", what)
            return
        try:
            step()
        except (
            KafkaError,
            OSError,
            TransportError,
            BrokerError,
            RuntimeError,
            asyncio.CancelledError,
        ) as exc:
            log.warning("could not %s: %s", what, exc)

    return run_step


@contextmanager
def kafka_stack(
    scenario: Scenario,
    run: str,
    *,
    bootstrap: str | None = None,
    partitions: int = 3,
    external_services: bool = False,
    log_dir: Path | None = None,
    ticks_per_topic: int = TICKS_PER_TOPIC,
    service_metrics_ports: dict[str, int] | None = None,
    metrics_host: str = "127.0.0.1",
    transport_class: type[KafkaTransport] = ResumableKafkaTransport,
    replacement_timeout_s: float = REPLACEMENT_TIMEOUT_S,
) -> Iterator[KafkaRun]:
    """`replacement_timeout_s` [s]: how long a tick waits for a silent service, or a dead one's
    replacement, before the run fails with one line (`KafkaTransport`)."""
    arms = list(scenario.arms)
    with ExitStack() as stack:
        if log_dir is None:  # a run that keeps no outputs keeps its logs only while it runs
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="socialsim-logs-")))
        log_dir.mkdir(parents=True, exist_ok=True)
        stack.enter_context(client_logs_to(log_dir / CLIENT_LOG))
        deferred = SignalsDeferred()
        stack.callback(deferred.release)  # callbacks run last-in first-out: this one runs last
        broker = None
        if bootstrap is None:
            broker = EmbeddedBroker.start()
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap
        else:
            wait_reachable(bootstrap, 5.0)
        watchdog = BrokerWatchdog(bootstrap)
        admin = TopicAdmin(bootstrap)
        stack.callback(quietly("close the topic admin", admin.close))
        refuse_leftovers(admin, bootstrap, run)
        # registered before creating, so topics created before an interrupt are deleted too
        stack.callback(
            quietly(f"delete the topics of run {run}", lambda: admin.delete_run(run), watchdog.lost.is_set)
        )
        admin.create(run_topics(run, arms), partitions)
        admin.create([snapshot_topic(run)], partitions, SNAPSHOT_CONFIG)
        services = Services(log_dir)
        # with its broker gone a service cannot close its clients cleanly: no grace to wait out
        stack.callback(lambda: services.stop(0.0 if watchdog.lost.is_set() else STOP_GRACE_S))
        if not external_services:
            services.start(strategies_of(scenario), bootstrap, run, service_metrics_ports, metrics_host)

        def health_check() -> str | None:
            try:
                replaced = services.check(watchdog.check)  # no replacement without a broker
            except ServiceDied:
                watchdog.check()  # a service that died with its broker: name the broker
                raise
            if replaced is not None:
                log.warning("%s", replaced)
            return replaced

        transport = transport_class(
            bootstrap,
            run,
            arms,
            admin,
            partitions,
            health_check=health_check,
            ticks_per_topic=ticks_per_topic,
            replacement_timeout_s=replacement_timeout_s,
        )
        transport.loop.set_exception_handler(log_loop_error)
        stack.callback(quietly("close the Kafka clients", transport.shutdown))
        stack.callback(quietly(f"announce the end of run {run}", transport.end, watchdog.lost.is_set))
        watchdog.start()
        stack.callback(watchdog.stop)
        stack.callback(deferred.hold)  # runs first: from here on, cleanup is not interrupted
        yield KafkaRun(transport, services, bootstrap, run, broker)
