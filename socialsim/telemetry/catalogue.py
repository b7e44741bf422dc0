"""The metric catalogue: every metric socialsim exposes, declared once.

Readings, collectors, dashboards and recording rules derive from `OUTCOMES` and `OPERATIONS`;
to add a metric, add an entry here. Base units are seconds and dollars. Outcome metrics come
from the simulator and are the mean over the replications in flight (one simulated company per
arm); operations metrics come from the strategy policies and are summed over the replications.
"""

from __future__ import annotations

from collections.abc import Callable

from services.queues import DepartmentLoad
from socialsim.contracts.timeunits import MINUTES_PER_DAY, SECONDS_PER_MINUTE
from socialsim.outcomes import cost, incremental

from .metric import Across, Kind, Label, Metric, Observations, OutcomeView, PolicyView, Value

OUTCOMES: list[Metric[OutcomeView]] = []
OPERATIONS: list[Metric[PolicyView]] = []

# Bucket bounds of the first-response histogram [s]: 5 min to 2 days, around the seeds' figures
FIRST_RESPONSE_BUCKETS_S = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 172800.0)


def _outcome(
    name: str,
    kind: Kind,
    unit: str,
    help: str,
    read: Callable[[OutcomeView], Value],
    labels: tuple[Label, ...] = (),
    across: Across = "mean",
    buckets: tuple[float, ...] = (),
) -> Metric[OutcomeView]:
    OUTCOMES.append(Metric(name, kind, unit, help, read, labels, across, buckets))
    return OUTCOMES[-1]


def _operation(
    name: str,
    kind: Kind,
    unit: str,
    help: str,
    read: Callable[[PolicyView], Value],
    labels: tuple[Label, ...] = (),
    across: Across = "sum",
) -> Metric[PolicyView]:
    OPERATIONS.append(Metric(name, kind, unit, help, read, labels, across))
    return OPERATIONS[-1]


def _cost(v: OutcomeView) -> float:
    return cost(v.world, v.strategy, v.state, v.minute / MINUTES_PER_DAY)


def _against(v: OutcomeView, metric: str) -> float:
    """`metric` of `outcomes.incremental`, so far: this arm against the baseline at the same moment."""
    own = {"revenue": v.state.record.revenue_dollars, "clv": v.state.clv_dollars, "cost": _cost(v)}
    base = {"revenue": v.baseline.record.revenue_dollars, "clv": v.baseline.clv_dollars}
    return incremental(v.world, own, base)[metric]


def _per_department(v: PolicyView, figure: Callable[[DepartmentLoad], float]) -> dict[str, float]:
    return {d: figure(x) for d, x in v.load.items()}


def _by_valence(positive: float, negative: float) -> dict[str, float]:
    return {"positive": positive, "negative": negative}


# ---- outcomes, from the simulator -----------------------------------------------------------
SIM_TIME = _outcome(
    "socialsim_sim_time_seconds",
    "gauge",
    "seconds",
    "Where simulated time is in this arm's run [s since the start].",
    lambda v: v.minute * SECONDS_PER_MINUTE,
    across="max",  # the same in every replication of a lockstep
)
REVENUE = _outcome(
    "socialsim_revenue_dollars_total",
    "counter",
    "dollars",
    "Purchases so far [$], mean over replications in flight.",
    lambda v: v.state.record.revenue_dollars,
)
COST = _outcome(
    "socialsim_cost_dollars_total", "counter", "dollars", "Staff and broadcast cost so far [$].", _cost
)
CLV = _outcome(
    "socialsim_customer_lifetime_value_dollars",
    "gauge",
    "dollars",
    "Customer lifetime value of today's active customers [$].",
    lambda v: v.state.clv_dollars,
)
INCREMENTAL_REVENUE = _outcome(
    "socialsim_incremental_revenue_dollars",
    "gauge",
    "dollars",
    "Revenue so far minus the no-social baseline's in the same replication [$].",
    lambda v: _against(v, "incremental_revenue"),
)
INCREMENTAL_CLV = _outcome(
    "socialsim_incremental_customer_lifetime_value_dollars",
    "gauge",
    "dollars",
    "Customer lifetime value now minus the no-social baseline's [$].",
    lambda v: _against(v, "incremental_clv"),
)
INCREMENTAL_PROFIT = _outcome(
    "socialsim_incremental_profit_dollars",
    "gauge",
    "dollars",
    "margin * incremental revenue + incremental CLV - cost so far, against the no-social baseline [$].",
    lambda v: _against(v, "incremental_profit"),
)
ROI = _outcome(
    "socialsim_roi_ratio",
    "gauge",
    "ratio",
    "Incremental profit over cost so far, against the no-social baseline [1].",
    lambda v: _against(v, "roi"),
)
TRUST = _outcome(
    "socialsim_customer_trust_ratio",
    "gauge",
    "ratio",
    "Mean trust of active customers [0..1].",
    lambda v: v.state.trust,
)
NPS = _outcome(
    "socialsim_net_promoter_score",
    "gauge",
    "score",
    "Net promoter score of active customers, by trust thresholds [-100..100].",
    lambda v: v.state.nps,
)
ACTIVE = _outcome(
    "socialsim_active_customers",
    "gauge",
    "customers",
    "Active customers [people].",
    lambda v: v.state.active_customers,
)
CONVERSATIONS = _outcome(
    "socialsim_conversations_total",
    "counter",
    "conversations",
    "Conversations customers started [conversations].",
    lambda v: v.state.record.conversations_by_intent,
    labels=("intent",),
)
HELP_SEEKING = _outcome(
    "socialsim_help_seeking_conversations_total",
    "counter",
    "conversations",
    "Conversations asking for help (question, complaint, purchase intent).",
    lambda v: v.state.record.help_seeking,
)
HELPED = _outcome(
    "socialsim_helped_conversations_total",
    "counter",
    "conversations",
    "Help-seeking conversations whose customer was helped.",
    lambda v: v.state.record.helped,
)
ANSWERED = _outcome(
    "socialsim_answered_conversations_total",
    "counter",
    "conversations",
    "Conversations the brand answered.",
    lambda v: v.state.record.answered,
)
BROADCASTS = _outcome(
    "socialsim_broadcasts_total",
    "counter",
    "broadcasts",
    "Campaigns and offers broadcast.",
    lambda v: v.state.record.broadcasts,
)
WOM_REACH = _outcome(
    "socialsim_word_of_mouth_reach_total",
    "counter",
    "people",
    "Followers reached by word of mouth [people].",
    lambda v: _by_valence(v.state.record.positive_wom_reach, v.state.record.negative_wom_reach),
    labels=("valence",),
)
WOM_POSTS = _outcome(
    "socialsim_word_of_mouth_posts_total",
    "counter",
    "posts",
    "Word-of-mouth posts [posts].",
    lambda v: _by_valence(v.state.record.positive_wom_posts, v.state.record.negative_wom_posts),
    labels=("valence",),
)
CHURNED = _outcome(
    "socialsim_churned_customers_total",
    "counter",
    "customers",
    "Customers lost [people].",
    lambda v: {s: v.state.record.churned_by_segment.get(s, 0) for s in v.world.segments},
    labels=("segment",),
)
ACQUIRED = _outcome(
    "socialsim_acquired_customers_total",
    "counter",
    "customers",
    "Prospects who became customers [people].",
    lambda v: {s: v.state.record.acquisitions_by_segment.get(s, 0) for s in v.world.segments},
    labels=("segment",),
)
FIRST_RESPONSE = _outcome(
    "socialsim_first_response_seconds",
    "histogram",
    "seconds",
    "Delay of the brand's first response [s].",
    lambda v: Observations(v.state.record.first_response_minutes, SECONDS_PER_MINUTE),
    buckets=FIRST_RESPONSE_BUCKETS_S,
)

# ---- operations, from the strategy policies -------------------------------------------------
DECISIONS = _operation(
    "socialsim_decisions_total",
    "counter",
    "conversations",
    "Conversations closed, by who closed them and how (department none: the customer gave up).",
    lambda v: v.tally.decisions,
    labels=("department", "action"),
)
BACKLOG = _operation(
    "socialsim_backlog_conversations",
    "gauge",
    "conversations",
    "Conversations waiting in a department's queue.",
    lambda v: _per_department(v, lambda x: x.backlog),
    labels=("department",),
)
STAFF_ON_SHIFT = _operation(
    "socialsim_staff_on_shift_seconds_total",
    "counter",
    "seconds",
    "Agent time on shift [s of simulated time].",
    lambda v: _per_department(v, lambda x: x.staffed_minutes * SECONDS_PER_MINUTE),
    labels=("department",),
)
STAFF_BUSY = _operation(
    "socialsim_staff_busy_seconds_total",
    "counter",
    "seconds",
    "Agent time spent handling conversations [s of simulated time].",
    lambda v: _per_department(v, lambda x: x.worked_minutes * SECONDS_PER_MINUTE),
    labels=("department",),
)
HANDOFFS = _operation(
    "socialsim_handoffs_total",
    "counter",
    "conversations",
    "Conversations passed from one department to another.",
    lambda v: v.tally.handoffs,
)
DEAD_LETTERS = _operation(
    "socialsim_dead_letters_total",
    "counter",
    "messages",
    "Messages sent to the dead-letter topic.",
    lambda v: v.tally.dead_letters,
)
POLICY_TIME = _operation(
    "socialsim_policy_sim_time_seconds",
    "gauge",
    "seconds",
    "Where the strategy's handling has got to [s of simulated time].",
    lambda v: v.tally.end_minute * SECONDS_PER_MINUTE,
    across="max",  # the furthest replication
)
