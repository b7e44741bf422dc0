"""An ownership strategy: who captains social media, who crews, how they are staffed and behave."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import MAX_DAYS, MAX_TASK_MINUTES, StaffHours, Strict, TaskMinutes, Weight
from .timeunits import DAYS_PER_WEEK
from .vocabulary import ACTIONS, DEPARTMENTS, INTENTS, Department, Tone

# Broadcasts one tick may carry: the world gives each its own random-number streams in a block of
# this size per tick (see simulator.world.broadcast_draw_index), so a strategy may not exceed it.
MAX_BROADCASTS_PER_TICK = 32


class Shift(Strict):
    start_hour: int = Field(8, ge=0, le=23, description="first staffed hour of the day [hour, 0-23]")
    end_hour: int = Field(
        20, ge=1, le=24, description="hour the staffed window ends [hour, 1-24]; after start_hour"
    )

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if self.end_hour <= self.start_hour:
            raise ValueError(f"end_hour ({self.end_hour}) must be after start_hour ({self.start_hour})")
        return self

    @property
    def hours(self) -> int:
        return self.end_hour - self.start_hour


class Priorities(Strict):
    intent: dict[str, Weight] = Field(
        default_factory=lambda: {str(i): 1.0 for i in INTENTS},
        description="weight by intent; 0 means the strategy does not answer that intent [weight]",
    )
    segment: dict[str, Weight] = Field(
        default_factory=dict, description="weight by segment, 1 when absent [weight]"
    )
    topic: dict[str, Weight] = Field(
        default_factory=dict, description="weight by topic, 1 when absent [weight]"
    )

    @model_validator(mode="after")
    def _intents(self) -> Priorities:
        unknown = set(self.intent) - set(INTENTS)
        if unknown:
            raise ValueError(f"unknown intent(s) {sorted(unknown)}; allowed: {list(INTENTS)}")
        return self


class Panic(Strict):
    """Marketing's panic button: sell harder when trailing revenue trails the target."""

    enabled: bool = False
    window_days: int = Field(
        14, ge=1, le=int(MAX_DAYS), description="trailing window over which revenue is compared [days]"
    )
    target_growth: float = Field(
        0.05, ge=-1, le=10, description="target trailing revenue relative to the first window's [fraction]"
    )
    pitch_boost: float = Field(
        2.0, ge=1, le=20, description="multiplier on pitch rate while panicking [multiplier]"
    )
    broadcast_boost: float = Field(
        2.0, ge=1, le=20, description="multiplier on broadcasts per week while panicking [multiplier]"
    )


class Listening(Strict):
    """Comms' listening first: steer attention toward who is actually talking, and about what."""

    enabled: bool = False
    half_life_days: float = Field(
        7.0, gt=0, le=MAX_DAYS, description="half-life of the observed talk volume [days]"
    )
    strength: float = Field(
        1.0,
        ge=0,
        le=5,
        description=(
            "exponent on observed/expected volume share applied to priorities and campaign targeting [1]"
        ),
    )


class Tiering(Strict):
    """Support's value tiering: some customers are more special than others."""

    enabled: bool = False
    by: str = Field(
        "value", pattern="^(value|followers)$", description="tier by monthly value or by follower count"
    )
    top_fraction: float = Field(0.2, gt=0, le=1, description="share of customers in the top tier [fraction]")
    priority_boost: float = Field(
        3.0, ge=1, le=100, description="priority multiplier for the top tier [multiplier]"
    )


class Broadcasts(Strict):
    per_week: float = Field(0.0, ge=0, le=100, description="campaign posts per week [1 / week]")
    hour: int = Field(12, ge=0, le=23, description="hour of day campaigns go out [hour]")
    offer_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of campaigns that carry an offer (e.g. a Mayor's Special) [fraction]",
    )
    targeting: dict[str, Weight] = Field(
        default_factory=dict, description="campaign weight by segment; empty means everyone equally [weight]"
    )


class Strategy(Strict):
    name: str = Field(..., min_length=1)
    description: str = ""
    captain: Department = Field(
        ..., description="the department that owns the channel and triages every conversation"
    )
    crew: list[Department] = Field(
        default_factory=list, description="departments the captain may hand conversations to"
    )
    staff_hours_per_day: dict[str, StaffHours] = Field(
        ..., description="staffed hours per day by department [hours / day]"
    )
    shift: Shift = Shift()
    handle_minutes: dict[str, TaskMinutes] = Field(
        default_factory=lambda: {
            "resolve": 15.0,
            "answer": 6.0,
            "de_escalate": 10.0,
            "offer": 5.0,
            "acknowledge": 1.5,
        },
        description="agent time one action takes [minutes]",
    )
    pitch_minutes: float = Field(
        1.0, ge=0, le=MAX_TASK_MINUTES, description="extra agent time for adding a sales pitch [minutes]"
    )
    routing: dict[str, Department] = Field(
        default_factory=dict, description="first department by intent; the captain when absent"
    )
    handoff_minutes: float = Field(
        30.0,
        ge=0,
        le=MAX_TASK_MINUTES,
        description="delay of handing a conversation to another department [minutes]",
    )
    max_wait_hours: float = Field(
        24.0,
        gt=0,
        le=24 * MAX_DAYS,
        description="a conversation waiting longer than this goes unanswered [hours]",
    )
    tone: Tone = Field(
        "neutral", description="voice of every response: conversational, neutral or promotional"
    )
    pitch_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "share of handled conversations that did not ask to buy where marketing "
            "adds a sales pitch [fraction]"
        ),
    )
    priorities: Priorities = Priorities()
    broadcasts: Broadcasts = Broadcasts()
    panic: Panic = Panic()
    listening: Listening = Listening()
    tiering: Tiering = Tiering()

    @model_validator(mode="after")
    def _consistent(self) -> Strategy:
        for dept in self.staff_hours_per_day:
            if dept not in DEPARTMENTS:
                raise ValueError(
                    f"staff_hours_per_day: unknown department {dept!r}; allowed: {list(DEPARTMENTS)}"
                )
        unknown_actions = set(self.handle_minutes) - set(ACTIONS)
        if unknown_actions:
            raise ValueError(
                f"handle_minutes: unknown action(s) {sorted(unknown_actions)}; allowed: {list(ACTIONS)}"
            )
        if self.staff_hours_per_day.get(self.captain, 0) <= 0:
            raise ValueError(f"the captain ({self.captain}) needs staff_hours_per_day > 0")
        boost = self.panic.broadcast_boost if self.panic.enabled else 1.0
        per_day = self.broadcasts.per_week * boost / DAYS_PER_WEEK
        if per_day > MAX_BROADCASTS_PER_TICK - 1:
            raise ValueError(
                f"broadcasts.per_week x panic.broadcast_boost gives {per_day:.4g} broadcasts a day, "
                f"all sent in one tick; at most {MAX_BROADCASTS_PER_TICK - 1} are allowed"
            )
        for intent, dept in self.routing.items():
            if intent not in INTENTS:
                raise ValueError(f"routing: unknown intent {intent!r}; allowed: {list(INTENTS)}")
            if dept != self.captain and dept not in self.crew:
                raise ValueError(f"routing.{intent}: {dept!r} is neither captain nor crew")
        return self

    @property
    def departments(self) -> tuple[Department, ...]:
        return (self.captain, *[d for d in self.crew if d != self.captain])
