"""Custom collectors: expose the latest readings on an injected registry, one loop for every metric.

A custom collector rather than Gauges set by the model: the model never imports a metrics
library, a scrape costs nothing until it happens, and every value of a scrape comes from the
same reading. Names, kinds, labels and help come from the catalogue entries. Every series also
carries the run's constant labels (`run`, `scenario`), so a Prometheus holding several runs, live
or backfilled (`backfill`), keeps them apart and the dashboards can select one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from . import metric
from .catalogue import OPERATIONS, OUTCOMES
from .fold import HistogramReading, Reading, Table
from .meter import PolicyMeter
from .readings import Readings


class CatalogueCollector(Collector):
    """Every metric of `metrics`, from the table `read` returns (nothing while it is empty),
    each series labelled with `constant` (label name -> value) besides its arm."""

    def __init__(
        self,
        metrics: Sequence[metric.Metric[Any]],
        read: Callable[[], Table],
        constant: Mapping[str, str] | None = None,
    ):
        self.metrics, self.read, self.constant = metrics, read, dict(constant or {})

    def collect(self) -> Iterator[Metric]:
        table = self.read()
        if not table:
            return
        for m in self.metrics:
            family = new_family(m, self.constant)
            add_readings(family, m, self.constant, table[m.name])
            yield family


def new_family(m: metric.Metric[Any], constant: Mapping[str, str]) -> Metric:
    """An empty family of `m`, its series labelled `constant`, then arm, then the metric's own."""
    labels = [*constant, "arm", *m.labels]
    if m.kind == "histogram":
        return HistogramMetricFamily(m.name, m.help, labels=labels)
    kind = CounterMetricFamily if m.kind == "counter" else GaugeMetricFamily
    return kind(m.name.removesuffix("_total"), m.help, labels=labels)  # the client adds `_total`


def add_readings(
    family: Metric,
    m: metric.Metric[Any],
    constant: Mapping[str, str],
    by_arm: Mapping[str, Reading],
    timestamp: float | None = None,
) -> None:
    """Add one reading per arm to `family`; `timestamp` [s since the epoch] when backfilling."""
    fixed = list(constant.values())
    for arm, reading in by_arm.items():
        if isinstance(reading, HistogramReading):
            assert isinstance(family, HistogramMetricFamily), m.name
            buckets = [(repr(b), v) for b, v in zip(m.buckets, reading.buckets, strict=True)]
            family.add_metric(
                [*fixed, arm], [*buckets, ("+Inf", reading.count)], reading.sum, timestamp=timestamp
            )
            continue
        assert isinstance(family, CounterMetricFamily | GaugeMetricFamily), m.name
        for values, number in sorted(reading.items()):
            family.add_metric([*fixed, arm, *values], number, timestamp=timestamp)


class OutcomeCollector(CatalogueCollector):
    def __init__(self, readings: Readings, constant: Mapping[str, str] | None = None):
        super().__init__(OUTCOMES, lambda: readings.latest, constant)


class PolicyCollector(CatalogueCollector):
    def __init__(self, meter: PolicyMeter, constant: Mapping[str, str] | None = None):
        super().__init__(OPERATIONS, meter.read, constant)
