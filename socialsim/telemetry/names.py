"""Exposed metric names as strings, for code that looks samples up or writes PromQL by hand.

`names.REVENUE` is `catalogue.REVENUE.name`: derived, never declared here. The FastStream
names are FastStream's own (its Kafka middleware in each service; app_name is the arm).
"""

from __future__ import annotations

from . import catalogue
from .metric import Metric

FASTSTREAM_PREFIX = "faststream"
RECEIVED = "faststream_received_messages_total"
PUBLISHED = "faststream_published_messages_total"


def __getattr__(key: str) -> str:
    entry = getattr(catalogue, key, None)
    if not isinstance(entry, Metric):
        raise AttributeError(f"module {__name__!r} has no attribute {key!r}")
    return entry.name
