"""The composition root of a strategy service process: what `socialsim service` wires.

Apart from `socialsim.bootstrap` because a service process needs only the Kafka service, its
metrics and the strategies, never the simulator, the outputs, the report or the experiments: a
service (started by every Kafka comparison, and again after every crash) starts in a fraction of
the time the whole tool takes to import. Like `bootstrap`, it is imported only by the CLI.
"""

from __future__ import annotations

import asyncio

from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from socialsim.kafka.broker import wait_reachable
from socialsim.kafka.service import create_service
from socialsim.kafka.topics import CONTROL_PARTITIONS, CONTROL_TOPIC, TopicAdmin
from socialsim.telemetry.collectors import PolicyCollector
from socialsim.telemetry.meter import PolicyMeter
from socialsim.telemetry.names import FASTSTREAM_PREFIX
from socialsim.telemetry.server import serving


def serve_strategy(
    strategy: str,
    bootstrap: str,
    run_id: str | None,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """One strategy as a long-lived Kafka service serving every run announced that names it (only
    `run_id`, if given), until stopped. Broker errors raise before it starts."""
    wait_reachable(bootstrap, 10.0)
    admin = TopicAdmin(bootstrap)
    try:
        admin.create([CONTROL_TOPIC], CONTROL_PARTITIONS)  # services may start before any run
    finally:
        admin.close()
    registry = CollectorRegistry()
    meter = PolicyMeter([strategy])
    registry.register(PolicyCollector(meter, {"run": run_id} if run_id else {}))
    middleware = KafkaPrometheusMiddleware(
        registry=registry, app_name=strategy, metrics_prefix=FASTSTREAM_PREFIX
    )
    application = create_service(strategy, bootstrap, only_run=run_id, middlewares=[middleware], meter=meter)
    with serving(registry, metrics_port, metrics_host):
        asyncio.run(application.run())
