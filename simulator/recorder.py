"""Measurement, kept apart from behaviour: what happened in one arm of one replication.

The world calls these hooks; nothing here feeds back into the world except `revenue_on(day)`,
the figure the brand's own sales dashboard would show its strategy.

The counters marked `column()` are the columns of series.parquet, in declaration order: a
counter is declared once, and `snapshot` derives the row from those declarations.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from socialsim.contracts.events import Broadcast, Conversation, Response
from socialsim.contracts.timeunits import MINUTES_PER_DAY

EVENT_COLUMNS = (
    "event_id",
    "kind",
    "minute",
    "tick",
    "customer",
    "segment",
    "topic",
    "intent",
    "department",
    "action",
    "delay_minutes",
    "amount_dollars",
    "reach",
    "conversation_id",
    "helped",
    "trust",
)

Cell = str | int | float | bool | None  # one value of events.parquet
EventRows = list[tuple[Cell, ...]]  # one tuple per event, in EVENT_COLUMNS order
RowSink = Callable[[EventRows], None]
# Rows a recorder holds before handing them to its sink: bounds the Python tuples (~0.4 KB an
# event) a long run keeps; the sink turns each batch into compact columns [events].
EVENTS_PER_BATCH = 20_000
SeriesRow = dict[str, int | float]  # one row of series.parquet
_SERIES = "series"
# the counter each lifecycle kind adds to (holdout rows are a study's design, not a tally)
_TALLIES = {
    "churn": "churned",
    "acquisition": "acquisitions",
    "lapse": "lapsed",
    "follow": "follows",
    "unfollow": "unfollows",
}


def column(default: int | float) -> Any:
    """A figure that is also a column of series.parquet (dataclass field metadata)."""
    return field(default=default, metadata={_SERIES: True})


@dataclass
class Recorder:
    arm: str
    replication: int
    keep_events: bool = True
    sink: RowSink | None = None  # takes full batches of rows; without one, every row stays in `rows`
    revenue_dollars: float = column(0.0)
    # how customers stood at the latest snapshot, as the world supplied them to `snapshot`
    active_customers: int = column(0)  # [people]
    mean_trust: float = column(0.0)  # mean trust of active customers [0..1]
    nps: float = column(0.0)  # net promoter score of active customers [-100..100]
    conversations: int = column(0)
    help_seeking: int = column(0)
    helped: int = column(0)
    answered: int = column(0)
    churned: int = column(0)
    acquisitions: int = column(0)
    positive_wom_reach: int = column(0)
    negative_wom_reach: int = column(0)
    positive_wom_posts: int = 0
    negative_wom_posts: int = 0
    broadcasts: int = 0
    follows: int = 0  # people who started following the brand's account [people]
    unfollows: int = 0  # [people]
    lapsed: int = 0  # newcomers by an offer who did not come back [people]
    revenue_by_day: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    revenue_by_segment: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # [$]
    conversations_by_intent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # one delay per answered conversation, so it grows with simulated time: packed doubles (8 bytes a
    # value) rather than a list of float objects (32 bytes a value, and scattered small objects that
    # keep the allocator's pools from being freed) [minutes]
    first_response_minutes: array[float] = field(default_factory=lambda: array("d"))
    churned_by_segment: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acquisitions_by_segment: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rows: EventRows = field(default_factory=list)  # recorded and not yet handed to the sink
    series: list[SeriesRow] = field(default_factory=list)

    def snapshot(
        self, tick: int, minute: float, active_customers: int, mean_trust: float, nps: float
    ) -> SeriesRow:
        """One row of series.parquet: every `column()` field, after taking the world's standing figures."""
        self.active_customers, self.mean_trust, self.nps = active_customers, mean_trust, nps
        row: SeriesRow = {"tick": tick, "minute": minute}
        row.update({f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get(_SERIES)})
        return row

    def _event(
        self,
        event_id: str,
        kind: str,
        minute: float,
        tick: int,
        customer: int | None = None,
        segment: str | None = None,
        topic: str | None = None,
        intent: str | None = None,
        department: str | None = None,
        action: str | None = None,
        delay_minutes: float | None = None,
        amount_dollars: float | None = None,
        reach: int | None = None,
        conversation_id: str | None = None,
        helped: bool | None = None,
        trust: float | None = None,
    ) -> None:
        if self.keep_events:
            self.rows.append(
                (
                    event_id,
                    kind,
                    minute,
                    tick,
                    customer,
                    segment,
                    topic,
                    intent,
                    department,
                    action,
                    delay_minutes,
                    amount_dollars,
                    reach,
                    conversation_id,
                    helped,
                    trust,
                )
            )
            if len(self.rows) >= EVENTS_PER_BATCH:
                self.flush()

    def flush(self) -> None:
        """Hand the rows held so far to the sink (at the end of a run, and whenever a batch is full)."""
        if self.sink is not None and self.rows:
            self.sink(self.rows)
            self.rows = []

    def conversations_posted(self, convs: list[Conversation], help_seeking: int) -> None:
        """A tick's conversations, in order; `help_seeking` of them ask for help."""
        self.conversations += len(convs)
        self.help_seeking += help_seeking
        by_intent = self.conversations_by_intent
        for c in convs:
            by_intent[c.intent] += 1
        if not self.keep_events:
            return
        for c in convs:
            self._event(
                event_id=c.id,
                kind="conversation",
                minute=c.minute,
                tick=c.tick,
                customer=c.customer,
                segment=c.segment,
                topic=c.topic,
                intent=c.intent,
                conversation_id=c.id,
            )

    def responses(self, helped: int, answer_delays: list[float]) -> None:
        """A tick's responses, counted: `helped` of them helped a customer who sought help, and
        `answer_delays` are the answered ones' delays in order (those given up are not answers)
        [minutes]. Their event rows, when kept, come from `response_row`."""
        self.helped += helped
        self.answered += len(answer_delays)
        self.first_response_minutes.extend(answer_delays)

    def response_row(
        self, r: Response, segment: str, topic: str, intent: str, helped: bool, trust: float
    ) -> None:
        """`trust` is the customer's trust right after reacting: what a survey after the reply would read."""
        self._event(
            event_id=r.id,
            kind="response",
            minute=r.minute,
            tick=r.tick,
            customer=r.customer,
            segment=segment,
            topic=topic,
            intent=intent,
            department=r.department or None,
            action=r.action,
            delay_minutes=r.delay_minutes,
            conversation_id=r.conversation_id,
            helped=bool(helped),
            trust=trust,
        )

    def purchase(
        self,
        event_id: str,
        minute: float,
        tick: int,
        customer: int,
        segment: str,
        dollars: float,
        source: str,
        conversation_id: str | None = None,
    ) -> None:
        self.revenue_dollars += dollars
        self.revenue_by_day[int(minute // MINUTES_PER_DAY)] += dollars
        self.revenue_by_segment[segment] += dollars
        if self.keep_events:
            self._event(
                event_id=event_id,
                kind="purchase",
                minute=minute,
                tick=tick,
                customer=customer,
                segment=segment,
                action=source,
                amount_dollars=dollars,
                conversation_id=conversation_id,
            )

    def bills(
        self,
        day: int,
        minute: float,
        tick: int,
        nodes: npt.NDArray[np.integer[Any]],
        segment: npt.NDArray[np.integer[Any]],
        names: tuple[str, ...],
        amounts: npt.NDArray[np.float64],
    ) -> None:
        """Recurring spend billed today: one purchase per customer due (`segment`: each one's index
        into `names`), summed without a Python loop, segment by segment in name order."""
        total = float(amounts.sum())
        self.revenue_dollars += total
        self.revenue_by_day[int(minute // MINUTES_PER_DAY)] += total
        billed = np.bincount(segment, minlength=len(names)).tolist()
        dollars = np.bincount(segment, weights=amounts, minlength=len(names)).tolist()
        for k in sorted(range(len(names)), key=names.__getitem__):
            if billed[k]:
                self.revenue_by_segment[names[k]] += dollars[k]
        if self.keep_events:
            for node, s, amount in zip(nodes.tolist(), segment.tolist(), amounts.tolist(), strict=False):
                self._event(
                    f"{self.arm}:bill:{self.replication}-{node}-{day}",
                    "purchase",
                    minute,
                    tick,
                    node,
                    names[s],
                    action="recurring",
                    amount_dollars=amount,
                )

    def word_of_mouth_posts(
        self,
        candidates: npt.NDArray[np.integer[Any]],
        minutes: npt.NDArray[np.float64],
        tick: int,
        customers: npt.NDArray[np.integer[Any]],
        segment: npt.NDArray[np.integer[Any]],
        names: tuple[str, ...],
        valence: npt.NDArray[np.integer[Any]],
        reach: npt.NDArray[np.integer[Any]],
        origin: str,
    ) -> None:
        """Posts that followers saw, one per candidate conversation (aligned arrays; `segment`:
        each author's index into `names`, read only for event rows), tallied without numpy calls.
        `origin` (kept in the `action` column): voice, a post to the brand its author's followers
        see; talk, chatter carrying a promoter's or detractor's view; reaction, advocacy or a rant
        after the brand's response."""
        valences, reaches = valence.tolist(), reach.tolist()
        positive_posts = positive_reach = negative_reach = 0  # a few posts: Python sums, not numpy calls
        for v, n in zip(valences, reaches, strict=True):
            if v > 0:
                positive_posts += 1
                positive_reach += n
            else:
                negative_reach += n
        self.positive_wom_reach += positive_reach
        self.positive_wom_posts += positive_posts
        self.negative_wom_reach += negative_reach
        self.negative_wom_posts += len(valences) - positive_posts
        if not self.keep_events:
            return
        rep = self.replication
        for i, minute, node, seg, v, n in zip(
            candidates.tolist(),
            minutes.tolist(),
            customers.tolist(),
            segment.tolist(),
            valences,
            reaches,
            strict=True,
        ):
            self._event(
                event_id=f"{self.arm}:wom-{origin}:{rep}-{i}",
                kind="wom_positive" if v > 0 else "wom_negative",
                minute=minute,
                tick=tick,
                customer=node,
                segment=names[seg],
                action=origin,
                reach=n,
                conversation_id=f"{rep}-{i}",
            )

    def broadcast(self, b: Broadcast, reached: int, paid_reached: int) -> None:
        """Two rows: the organic post (`reach`: brand followers it reached) and its paid promotion
        (kind paid_reach, `reach`: prospects it reached)."""
        self.broadcasts += 1
        action = "offer" if b.offer else "campaign"
        self._event(
            b.id, "broadcast", b.minute, b.tick, department=b.department, action=action, reach=reached
        )
        self._event(
            f"{b.id}:paid",
            "paid_reach",
            b.minute,
            b.tick,
            department=b.department,
            action=action,
            reach=paid_reached,
        )

    def lifecycle(
        self,
        kind: str,
        minute: float,
        tick: int,
        nodes: npt.NDArray[np.integer[Any]],
        segment: npt.NDArray[np.integer[Any]],
        names: tuple[str, ...],
        actions: list[str] | None = None,
    ) -> None:
        """`segment`: each node's index into `names`. `kind`: churn, acquisition (`action` offer or
        campaign when a broadcast brought them), lapse (a newcomer by an offer who does not come
        back), follow (`action` initial or newcomer), unfollow (`action` the reason), holdout
        (skipped by every broadcast)."""
        if kind in ("churn", "acquisition"):
            by_segment = self.churned_by_segment if kind == "churn" else self.acquisitions_by_segment
            for s in segment.tolist():
                by_segment[names[s]] += 1
        tally = _TALLIES.get(kind)
        if tally is not None:
            setattr(self, tally, getattr(self, tally) + len(nodes))
        if self.keep_events:
            acts = actions if actions is not None else [None] * len(nodes)
            for node, s, action in zip(nodes.tolist(), segment.tolist(), acts, strict=True):
                self._event(
                    event_id=f"{self.arm}:{kind}:{self.replication}-{node}-{int(minute)}",
                    kind=kind,
                    minute=minute,
                    tick=tick,
                    customer=node,
                    segment=names[s],
                    action=action,
                )

    def revenue_on(self, day: int) -> float:
        return self.revenue_by_day.get(day, 0.0)
