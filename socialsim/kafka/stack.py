"""Start, and always stop, what a Kafka run needs: a broker, the run's topics, one service per arm.

Every process this module starts is stopped by its PID when the run ends — on success, on an
error and on Ctrl-C — and the run's topics are deleted, so nothing is left behind.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from simulator.transport import TransportError
from socialsim.contracts.scenario import Scenario

from .broker import EmbeddedBroker, wait_reachable
from .children import die_with_parent
from .topics import TICKS_PER_TOPIC, TopicAdmin, run_topics
from .transport import KafkaTransport


class ServiceDied(TransportError):
    pass


def new_run_id(config_sha256: str) -> str:
    return f"socialsim-{config_sha256[:8]}-{uuid.uuid4().hex[:8]}"


class Services:
    """One `socialsim service` process per arm, each logging to `<log_dir>/<arm>.log`.

    With no `log_dir` the logs go to a temporary directory removed at the end; a run that keeps
    its outputs keeps them beside the outputs, so a failed run can be diagnosed afterwards.
    """

    def __init__(self, log_dir: Path | None = None) -> None:
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self._temp = None if log_dir else tempfile.TemporaryDirectory(prefix="socialsim-services-")
        self.log_dir = Path(log_dir or self._temp.name)
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def start(
        self,
        scenario_path: Path,
        sets: list[str],
        arms: list[str],
        bootstrap: str,
        run: str,
        metrics_ports: dict[str, int] | None = None,
        metrics_host: str = "127.0.0.1",
    ) -> None:
        """Each service logs to a file: a pipe nobody reads would fill and block the service."""
        extra = [a for s in sets for a in ("--set", s)]
        for arm in arms:
            metrics = (
                ["--metrics-port", str(metrics_ports[arm]), "--metrics-host", metrics_host]
                if metrics_ports
                else []
            )
            cmd = [
                sys.executable,
                "-m",
                "socialsim.cli",
                "service",
                "--scenario",
                str(scenario_path),
                "--arm",
                arm,
                "--bootstrap",
                bootstrap,
                "--run-id",
                run,
                *extra,
                *metrics,
            ]
            self.logs[arm] = self.log_dir / f"{arm}.log"
            with self.logs[arm].open("wb") as log:
                self.processes[arm] = subprocess.Popen(
                    cmd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                )

    def check(self) -> None:
        for arm, proc in self.processes.items():
            code = proc.poll()
            if code is not None:
                lines = self.logs[arm].read_text(errors="replace").strip().splitlines() or ["(no output)"]
                raise ServiceDied(
                    f"the strategy service for arm {arm!r} (pid {proc.pid}) exited with code "
                    f"{code}: {lines[-1]}"
                )

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._temp is not None:
            self._temp.cleanup()


@dataclass
class KafkaRun:
    """What a Kafka run started: the transport to run over, and the parts it must stop."""

    transport: KafkaTransport
    services: Services
    bootstrap: str
    run: str
    broker: EmbeddedBroker | None


@contextmanager
def kafka_stack(
    scenario: Scenario,
    scenario_path: Path,
    sets: list[str],
    run: str,
    *,
    bootstrap: str | None = None,
    partitions: int = 3,
    external_services: bool = False,
    log_dir: Path | None = None,
    ticks_per_topic: int = TICKS_PER_TOPIC,
    service_metrics_ports: dict[str, int] | None = None,
    metrics_host: str = "127.0.0.1",
    transport_class: type[KafkaTransport] = KafkaTransport,
) -> Iterator[KafkaRun]:
    arms = list(scenario.arms)
    with ExitStack() as stack:
        broker = None
        if bootstrap is None:
            broker = EmbeddedBroker.start()
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap
        else:
            wait_reachable(bootstrap, 5.0)
        admin = TopicAdmin(bootstrap)
        stack.callback(admin.close)
        admin.create(run_topics(run, arms), partitions)
        stack.callback(admin.delete_run, run)
        services = Services(log_dir)
        stack.callback(services.stop)
        if not external_services:
            services.start(scenario_path, sets, arms, bootstrap, run, service_metrics_ports, metrics_host)
        transport = transport_class(
            bootstrap,
            run,
            arms,
            admin,
            partitions,
            health_check=services.check,
            ticks_per_topic=ticks_per_topic,
        )
        stack.callback(transport.shutdown)
        yield KafkaRun(transport, services, bootstrap, run, broker)
