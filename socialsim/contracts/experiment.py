"""An experiment file: which scenario, which assumptions are uncertain, which levers a strategist may
tune, and how to sample them. Paths are the dotted paths of `--set`; they are checked against the
scenario when the experiment is loaded, because only the scenario knows what they point at."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Strict

DESIGN_METHODS = ("lhs", "sobol", "grid", "morris")


class Range(Strict):
    """A closed interval a parameter is sampled from, in the unit of the field it sets."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low must be below high (got low={self.low}, high={self.high})")
        return self


class Design(Strict):
    """How points are placed in the parameter space."""

    method: Literal["lhs", "sobol", "grid", "morris"] = Field(
        "lhs",
        description=(
            "lhs: Latin hypercube; sobol: scrambled Sobol sequence; grid: full factorial; "
            "morris: elementary-effect trajectories"
        ),
    )
    points: int = Field(
        64, ge=2, le=100_000, description="points to sample (grid: rounded to a full factorial)"
    )


class Experiment(Strict):
    """The file a strategist edits to ask "which owner wins where, and how sure is that?"."""

    scenario: str = Field(
        ..., min_length=1, description="a shipped scenario name or a path to a scenario file"
    )
    arms: list[str] | None = Field(
        None, min_length=2, description="the scenario's arms to compare [default: all of them]"
    )
    replications: int = Field(
        4, ge=2, le=1000, description="replications per point; every arm of a point shares them"
    )
    seed: int = Field(1, ge=0, le=2**63 - 1, description="experiment seed; each point's seed derives from it")
    uncertain: dict[str, Range] = Field(
        default_factory=dict, description="dotted paths (as in --set) of assumptions nobody controls"
    )
    levers: dict[str, Range] = Field(
        default_factory=dict, description="dotted paths (as in --set) a strategist may tune"
    )
    design: Design = Field(default_factory=lambda: Design())
    metrics: list[str] = Field(
        default_factory=lambda: ["revenue", "trust", "roi"], min_length=1, description="outcome metrics"
    )

    @model_validator(mode="after")
    def _some_parameter(self) -> Experiment:
        if not self.uncertain and not self.levers:
            raise ValueError("an experiment needs at least one entry under uncertain or levers")
        both = sorted(set(self.uncertain) & set(self.levers))
        if both:
            raise ValueError(f"a path is either uncertain or a lever, not both; repeated: {both}")
        return self
