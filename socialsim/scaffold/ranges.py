"""Plausible ranges for every number a scenario template writes: the one table the writer's comments
and the tests both read.

Why a table: a strategist writing a scenario faces ~13 numbers per segment with no idea what is
sensible. Each entry gives a plausible low and high and where that range comes from. Units are not
retyped here: they are read from the bracketed unit at the end of each field's pydantic
`description` (`socialsim/contracts/world.py`, `reactions.py`, `strategy.py`), so a unit changed
there changes the comment too. Only fields whose description names no unit carry one here.

Paths are dotted, with `*` for any segment, topic, intent, department or list index; a key that
itself holds dots (an arm override such as `priorities.segment`) is split like any other path.
Ranges are in the scenario's money as written (the shipped templates use USD-sized amounts).
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from ..contracts.scenario import Arm, ScenarioFile
from ..contracts.strategy import Strategy

ASSUMPTION = "assumption"


@dataclass(frozen=True)
class Plausible:
    """A plausible interval for one field, in the field's own unit, and where it comes from."""

    low: int | float
    high: int | float
    source: str
    unit: str | None = None  # only for fields whose description carries no [unit]


_WEIGHT_NOTE = f"{ASSUMPTION}: relative weight, 1 is neutral, 0 ignores"
_MIX_NOTE = f"{ASSUMPTION}; the shares of one segment sum to 1"

RANGES: dict[str, Plausible] = {
    "seed": Plausible(0, 2**63 - 1, "any integer; the same seed gives the same numbers", unit="integer"),
    "replications": Plausible(
        2, 100, f"{ASSUMPTION}: 4–30 is usual; more narrows the 95% CIs and costs time", unit="replications"
    ),
    "world.population.customers": Plausible(
        100,
        1_000_000,
        f"{ASSUMPTION}: a sample of the customer base; more narrows CIs, costs time and memory",
    ),
    "world.population.prospects_per_customer": Plausible(0.2, 5, ASSUMPTION),
    "world.population.brand_follower_share": Plausible(0.05, 0.8, ASSUMPTION),
    "world.population.brand_account_followers": Plausible(
        1_000,
        50_000_000,
        "the brand page's real follower count; sets organic reach (Social@Ogilvy 2014; docs/calibration.md)",
    ),
    "world.population.homophily": Plausible(
        0.2,
        0.9,
        f"{ASSUMPTION}; that ties form within groups is documented in McPherson, Smith-Lovin & Cook "
        "(2001), 'Birds of a Feather', Annual Review of Sociology 27",
    ),
    "world.horizon.days": Plausible(7, 1825, f"{ASSUMPTION}: 90–365 days suits a strategy review"),
    "world.horizon.tick_minutes": Plausible(
        15, 120, "60 in every shipped scenario (the calibration runs, docs/calibration.md); must divide a day"
    ),
    "world.segments.*.share": Plausible(0.01, 1, f"{ASSUMPTION}; the segments' shares sum to 1"),
    "world.segments.*.followers.median": Plausible(20, 1000, ASSUMPTION),
    "world.segments.*.followers.sigma": Plausible(
        0.5, 1.5, f"{ASSUMPTION}: follower counts are heavy-tailed"
    ),
    "world.segments.*.followers.cap": Plausible(1000, 50_000, ASSUMPTION),
    "world.segments.*.monthly_spend_dollars": Plausible(1, 2000, ASSUMPTION),
    "world.segments.*.purchase_dollars": Plausible(5, 2000, ASSUMPTION),
    "world.segments.*.baseline_trust": Plausible(
        0.4, 0.9, "NPS detractor below 0.62, promoter from 0.74 (world.reactions, docs/calibration.md)"
    ),
    "world.segments.*.churn_per_year": Plausible(
        0.05,
        0.8,
        f"{ASSUMPTION}; for scale, US carriers' quarterly results report postpaid phone churn "
        "near 1% a month (about 0.1 a year)",
    ),
    "world.segments.*.service_sensitivity": Plausible(0.2, 3, f"{ASSUMPTION}: 1 is average"),
    "world.segments.*.promotion_sensitivity": Plausible(0.2, 3, f"{ASSUMPTION}: 1 is average"),
    "world.segments.*.conversations_per_month": Plausible(0.01, 2, ASSUMPTION),
    "world.segments.*.intents.*": Plausible(0, 1, _MIX_NOTE),
    "world.segments.*.topics.*": Plausible(0, 1, _MIX_NOTE),
    "world.economics.gross_margin": Plausible(0.05, 0.9, ASSUMPTION),
    "world.economics.annual_discount_rate": Plausible(0.03, 0.2, f"{ASSUMPTION}: a typical cost of capital"),
    "world.economics.staff_cost_dollars_per_hour.*": Plausible(
        15, 150, f"{ASSUMPTION}: wage plus overhead (fully loaded)"
    ),
    "world.economics.broadcast_cost_dollars": Plausible(20, 5000, ASSUMPTION),
    "world.economics.offer_discount": Plausible(0.05, 0.6, ASSUMPTION),
    "world.reactions.broadcast_conversion": Plausible(
        0.0003, 0.03, "calibrated to campaign-lift at 0.0008 (docs/calibration.md)"
    ),
    "world.reactions.campaign_prospect_reach": Plausible(
        0.005, 0.1, "calibrated to deal-newcomers at 0.025 (docs/calibration.md)"
    ),
    "arms.*.overrides.priorities.segment.*": Plausible(0, 10, _WEIGHT_NOTE),
    "arms.*.overrides.broadcasts.targeting.*": Plausible(0, 10, _WEIGHT_NOTE),
}

_UNIT = re.compile(r"\[([^\[\]]+)\][^\[]*$")
_CALIBRATED = re.compile(r"calibrated to: ([^()]+?) \(docs/calibration\.md\)")


def _parts(path: str | tuple[Any, ...]) -> list[str]:
    """A path as its parts, splitting keys that hold dots (arm overrides)."""
    items = path.split(".") if isinstance(path, str) else path
    return [piece for item in items for piece in str(item).split(".")]


def lookup(path: str | tuple[Any, ...]) -> tuple[str, Plausible] | None:
    """The table's entry for a concrete path (`world.segments.regulars.share`), or None."""
    parts = _parts(path)
    for pattern, plausible in RANGES.items():
        pat = pattern.split(".")
        if len(pat) == len(parts) and all(p in ("*", q) for p, q in zip(pat, parts, strict=True)):
            return pattern, plausible
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and `X | None` down to the type that holds the fields."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    return annotation


def description(pattern: str) -> str:
    """The pydantic description of the field a path points at (a mapping's entries share the
    mapping's description). An arm's overrides are strategy paths."""
    node: Any = ScenarioFile
    text = ""
    parts = pattern.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if node is Arm and part == "overrides":
            node, i = Strategy, i + 1
            continue
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields[part]
            text = field.description or ""
            node = _unwrap(field.annotation)
        elif get_origin(node) in (dict, list):
            node = _unwrap(get_args(node)[-1])
        else:
            raise KeyError(f"{pattern}: no field at {part!r}")
        i += 1
    return text


def unit(pattern: str) -> str:
    """The unit of a table entry: from the field's description, else the table's own."""
    found = _UNIT.search(description(pattern))
    if found:
        return found.group(1)
    plausible = RANGES[pattern]
    if plausible.unit is None:
        raise KeyError(f"{pattern}: its description names no [unit] and the table gives none")
    return plausible.unit


def source(pattern: str) -> str:
    """Where the range comes from, plus the calibration the field's description cites, if any."""
    calibrated = _CALIBRATED.search(description(pattern))
    extra = f"; default calibrated to {calibrated.group(1)} (docs/calibration.md)" if calibrated else ""
    return RANGES[pattern].source + extra


def number(value: float) -> str:
    """A range bound as a person writes it: 0.05, 1,000,000."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if value.is_integer() else f"{value:g}"


def comment(pattern: str) -> str:
    """The comment written beside a number: unit, plausible range, source."""
    plausible = RANGES[pattern]
    return f"[{unit(pattern)}] plausible {number(plausible.low)}–{number(plausible.high)}; {source(pattern)}"


def out_of_range(data: dict[str, Any]) -> list[str]:
    """Every number in a scenario mapping that the table does not cover or that lies outside its
    range, one line each (field path, value, what is plausible)."""
    problems: list[str] = []
    for path, value in numbers(data):
        dotted = ".".join(str(p) for p in path)
        entry = lookup(path)
        if entry is None:
            problems.append(f"{dotted}: {value} has no plausible range in socialsim/scaffold/ranges.py")
        elif not entry[1].low <= value <= entry[1].high:
            low, high = number(entry[1].low), number(entry[1].high)
            problems.append(f"{dotted}: {value} is outside the plausible {low}–{high} [{unit(entry[0])}]")
    return problems


def numbers(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], float]]:
    """Every numeric leaf of a parsed YAML document with its path (booleans are not numbers)."""
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in numbers(value, (*path, key))]
    if isinstance(data, list):
        return [leaf for i, value in enumerate(data) for leaf in numbers(value, (*path, i))]
    if isinstance(data, int | float) and not isinstance(data, bool):
        return [(path, data)]
    return []
