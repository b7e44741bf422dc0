"""Custom collectors: expose the latest readings on an injected registry, in base units.

A custom collector rather than Gauges set by the model: the model never imports a metrics
library, a scrape costs nothing until it happens, and every value of a scrape comes from the
same reading.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from . import names as n
from .meter import PolicyMeter
from .readings import Readings


def _base(name: str) -> str:
    """prometheus_client adds `_total` to counters itself."""
    return name.removesuffix("_total")


def _per_arm(kind, name: str, doc: str, values: dict[str, float]) -> Metric:
    family = kind(_base(name), doc, labels=["arm"])
    for arm, value in values.items():
        family.add_metric([arm], value)
    return family


def _per_arm_and(kind, name: str, doc: str, label: str, values: dict[str, dict[str, float]]) -> Metric:
    family = kind(_base(name), doc, labels=["arm", label])
    for arm, by in values.items():
        for key, value in sorted(by.items()):
            family.add_metric([arm, key], value)
    return family


class OutcomeCollector(Collector):
    def __init__(self, readings: Readings):
        self.readings = readings

    def collect(self) -> Iterator[Metric]:
        latest = self.readings.latest
        if not latest:
            return
        G, C = GaugeMetricFamily, CounterMetricFamily

        def field(attr):
            return {arm: getattr(r, attr) for arm, r in latest.items()}

        yield _per_arm(
            G,
            n.SIM_TIME,
            "Where simulated time is in this arm's run [s since the start].",
            field("sim_time_s"),
        )
        yield _per_arm(
            C, n.REVENUE, "Purchases so far [$], mean over replications in flight.", field("revenue")
        )
        yield _per_arm(C, n.COST, "Staff and broadcast cost so far [$].", field("cost"))
        yield _per_arm(G, n.CLV, "Customer lifetime value of today's active customers [$].", field("clv"))
        yield _per_arm(G, n.ROI, "(margin * revenue + CLV - cost) / cost so far [1].", field("roi"))
        yield _per_arm(G, n.TRUST, "Mean trust of active customers [0..1].", field("trust"))
        yield _per_arm(
            G, n.NPS, "Net promoter score of active customers, by trust thresholds [-100..100].", field("nps")
        )
        yield _per_arm(G, n.ACTIVE, "Active customers [people].", field("active"))
        yield _per_arm_and(
            C,
            n.CONVERSATIONS,
            "Conversations customers started [conversations].",
            "intent",
            field("conversations"),
        )
        yield _per_arm(
            C,
            n.HELP_SEEKING,
            "Conversations asking for help (question, complaint, purchase intent).",
            field("help_seeking"),
        )
        yield _per_arm(C, n.HELPED, "Help-seeking conversations whose customer was helped.", field("helped"))
        yield _per_arm(C, n.ANSWERED, "Conversations the brand answered.", field("answered"))
        yield _per_arm(C, n.BROADCASTS, "Campaigns and offers broadcast.", field("broadcasts"))
        yield _per_arm_and(
            C, n.WOM_REACH, "Followers reached by word of mouth [people].", "valence", field("wom_reach")
        )
        yield _per_arm_and(C, n.WOM_POSTS, "Word-of-mouth posts [posts].", "valence", field("wom_posts"))
        yield _per_arm_and(C, n.CHURNED, "Customers lost [people].", "segment", field("churned"))
        yield _per_arm_and(
            C, n.ACQUIRED, "Prospects who became customers [people].", "segment", field("acquired")
        )
        hist = HistogramMetricFamily(
            n.FIRST_RESPONSE, "Delay of the brand's first response [s].", labels=["arm"]
        )
        for arm, r in latest.items():
            buckets = [
                (repr(b), v)
                for b, v in zip(n.FIRST_RESPONSE_BUCKETS_S, r.first_response_buckets, strict=False)
            ]
            hist.add_metric([arm], buckets + [("+Inf", r.first_response_count)], r.first_response_sum_s)
        yield hist


class PolicyCollector(Collector):
    def __init__(self, meter: PolicyMeter):
        self.meter = meter

    def collect(self) -> Iterator[Metric]:
        ops = self.meter.read()
        decisions = CounterMetricFamily(
            _base(n.DECISIONS),
            "Conversations closed, by who closed them and how (department none: the customer gave up).",
            labels=["arm", "department", "action"],
        )
        for arm, o in ops.items():
            for (dept, action), count in sorted(o.decisions.items()):
                decisions.add_metric([arm, dept, action], count)
        yield decisions

        def field(attr):
            return {arm: dict(getattr(o, attr)) for arm, o in ops.items()}

        yield _per_arm_and(
            GaugeMetricFamily,
            n.BACKLOG,
            "Conversations waiting in a department's queue.",
            "department",
            field("backlog"),
        )
        yield _per_arm_and(
            CounterMetricFamily,
            n.STAFF_ON_SHIFT,
            "Agent time on shift [s of simulated time].",
            "department",
            field("staffed_s"),
        )
        yield _per_arm_and(
            CounterMetricFamily,
            n.STAFF_BUSY,
            "Agent time spent handling conversations [s of simulated time].",
            "department",
            field("busy_s"),
        )
        yield _per_arm(
            CounterMetricFamily,
            n.HANDOFFS,
            "Conversations passed from one department to another.",
            {arm: o.handoffs for arm, o in ops.items()},
        )
        yield _per_arm(
            CounterMetricFamily,
            n.DEAD_LETTERS,
            "Messages sent to the dead-letter topic.",
            {arm: o.dead_letters for arm, o in ops.items()},
        )
        yield _per_arm(
            GaugeMetricFamily,
            n.POLICY_TIME,
            "Where the strategy's handling has got to [s of simulated time].",
            {arm: o.sim_time_s for arm, o in ops.items()},
        )
