"""Custom collectors: expose the latest readings on an injected registry, one loop for every metric.

A custom collector rather than Gauges set by the model: the model never imports a metrics
library, a scrape costs nothing until it happens, and every value of a scrape comes from the
same reading. Names, kinds, labels and help come from the catalogue entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from . import metric
from .catalogue import OPERATIONS, OUTCOMES
from .fold import HistogramReading, Reading, Table
from .meter import PolicyMeter
from .readings import Readings


class CatalogueCollector(Collector):
    """Every metric of `metrics`, from the table `read` returns (nothing while it is empty)."""

    def __init__(self, metrics: Sequence[metric.Metric[Any]], read: Callable[[], Table]):
        self.metrics, self.read = metrics, read

    def collect(self) -> Iterator[Metric]:
        table = self.read()
        if not table:
            return
        for m in self.metrics:
            yield _family(m, table[m.name])


def _family(m: metric.Metric[Any], by_arm: dict[str, Reading]) -> Metric:
    labels = ["arm", *m.labels]
    if m.kind == "histogram":
        hist = HistogramMetricFamily(m.name, m.help, labels=labels)
        for arm, r in by_arm.items():
            assert isinstance(r, HistogramReading), m.name
            buckets = [(repr(b), v) for b, v in zip(m.buckets, r.buckets, strict=True)]
            hist.add_metric([arm], [*buckets, ("+Inf", r.count)], r.sum)
        return hist
    kind = CounterMetricFamily if m.kind == "counter" else GaugeMetricFamily
    family = kind(m.name.removesuffix("_total"), m.help, labels=labels)  # the client adds `_total`
    for arm, by_label in by_arm.items():
        assert not isinstance(by_label, HistogramReading), m.name
        for values, number in sorted(by_label.items()):
            family.add_metric([arm, *values], number)
    return family


class OutcomeCollector(CatalogueCollector):
    def __init__(self, readings: Readings):
        super().__init__(OUTCOMES, lambda: readings.latest)


class PolicyCollector(CatalogueCollector):
    def __init__(self, meter: PolicyMeter):
        super().__init__(OPERATIONS, meter.read)
