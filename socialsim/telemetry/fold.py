"""Fold views of replications into one reading per metric and arm, for any catalogue.

Generic over the catalogue: each metric reads every replication's view, and its `across`
decides how replications combine. Readings are plain numbers the collectors expose as they are.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .metric import Metric, Observations, V, Value


@dataclass
class HistogramReading:
    buckets: list[float]  # cumulative counts at each bound of the metric's `buckets`
    count: float
    sum: float


# Numbers by label values (() for a metric with no label besides the arm), or a histogram.
Reading = dict[tuple[str, ...], float] | HistogramReading
Table = dict[str, dict[str, Reading]]  # metric name -> arm -> reading


class Cumulative:
    """One replication's histogram, fed only the observations it has not seen yet."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = np.asarray(bounds, dtype=float)
        self.seen = 0
        self.buckets = np.zeros(len(bounds))
        self.total = 0.0

    def update(self, observed: Observations) -> None:
        fresh = np.asarray(observed.values[self.seen :], dtype=float) * observed.to_base
        self.seen = len(observed.values)
        if len(fresh):
            self.buckets += (fresh[:, None] <= self.bounds[None, :]).sum(axis=0)
            self.total += float(fresh.sum())


Histograms = dict[tuple[Hashable, str], Cumulative]  # (replication key, metric name) -> histogram


def fold(
    metrics: Sequence[Metric[V]],
    arms: Iterable[str],
    views: Iterable[tuple[Hashable, str, V]],
    histograms: Histograms,
) -> Table:
    """One reading per metric and arm from `views` (replication key, arm, view); `histograms`
    carries each replication's histograms from one fold to the next."""
    arms = list(arms)
    table: Table = {m.name: {arm: _empty(m) for arm in arms} for m in metrics}
    replications = dict.fromkeys(arms, 0)
    for key, arm, view in views:
        replications[arm] += 1
        for m in metrics:
            _add(m, table[m.name][arm], m.read(view), histograms, key)
    for m in metrics:
        if m.across == "mean":
            for arm, reading in table[m.name].items():
                _scale(reading, 1.0 / max(1, replications[arm]))
    return table


def _empty(m: Metric[V]) -> Reading:
    if m.kind == "histogram":
        return HistogramReading([0.0] * len(m.buckets), 0.0, 0.0)
    return {} if m.labels else {(): 0.0}


def _add(m: Metric[V], reading: Reading, value: Value, histograms: Histograms, key: Hashable) -> None:
    if isinstance(reading, HistogramReading):
        assert isinstance(value, Observations), m.name
        hist = histograms.setdefault((key, m.name), Cumulative(m.buckets))
        hist.update(value)
        reading.buckets = [a + b for a, b in zip(reading.buckets, hist.buckets.tolist(), strict=True)]
        reading.count += hist.seen
        reading.sum += hist.total
        return
    assert not isinstance(value, Observations), m.name
    numbers = (
        [(k if isinstance(k, tuple) else (k,), n) for k, n in value.items()]
        if isinstance(value, Mapping)
        else [((), value)]
    )
    for labels, number in numbers:
        if m.across == "max":
            reading[labels] = max(reading.get(labels, 0.0), number)
        else:
            reading[labels] = reading.get(labels, 0.0) + number


def _scale(reading: Reading, k: float) -> None:
    """Sums over replications -> means."""
    if isinstance(reading, HistogramReading):
        reading.buckets = [b * k for b in reading.buckets]
        reading.count *= k
        reading.sum *= k
    else:
        for labels in reading:
            reading[labels] *= k
