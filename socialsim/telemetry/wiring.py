"""Wire a run's metrics: one injected registry, the collectors it needs, nothing global."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from socialsim.contracts.scenario import Scenario

from .collectors import OutcomeCollector, PolicyCollector
from .meter import PolicyMeter
from .readings import Readings


@dataclass
class Telemetry:
    registry: CollectorRegistry
    readings: Readings | None = None
    meter: PolicyMeter | None = None


def for_run(scenario: Scenario, *, policies_here: bool, enabled: bool = True, interval_s: float = 1.0) -> Telemetry:
    """Outcome metrics always; policy metrics only where the policies run in this process (a
    Kafka run's services export their own, and two exporters of one series would double it)."""
    registry = CollectorRegistry()
    if not enabled:
        return Telemetry(registry)
    readings = Readings(scenario, interval_s)
    registry.register(OutcomeCollector(readings))
    meter = None
    if policies_here:
        meter = PolicyMeter(list(scenario.arms))
        registry.register(PolicyCollector(meter))
    return Telemetry(registry, readings, meter)


def for_service(arm: str) -> tuple[CollectorRegistry, PolicyMeter]:
    registry = CollectorRegistry()
    meter = PolicyMeter([arm])
    registry.register(PolicyCollector(meter))
    return registry, meter
