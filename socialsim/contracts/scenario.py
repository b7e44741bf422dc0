"""A scenario: one world, the arms to compare in it, replications and a seed."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from .base import Strict
from .strategy import Strategy
from .world import World


class Arm(Strict):
    name: str = Field(
        ..., pattern=r"^[a-z0-9][a-z0-9_-]*$", description="arm name: lower case, digits, '-' and '_'"
    )
    strategy: str = Field(
        ..., description="a strategy file name under config/strategies (without .yaml), or a path to one"
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="dotted strategy paths and the values that replace them in this arm"
    )


class ScenarioFile(Strict):
    """The file a strategist edits: strategies referenced by name."""

    name: str = Field(..., min_length=1)
    description: str = ""
    seed: int = Field(1, ge=0, le=2**63 - 1)
    replications: int = Field(
        10, ge=2, le=10_000, description="independent replications; paired statistics need at least 2"
    )
    world: World
    arms: list[Arm] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _unique_arms(self) -> ScenarioFile:
        names = [a.name for a in self.arms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"arm names must be unique; repeated: {dupes}")
        return self


class Scenario(Strict):
    """A scenario with every arm's strategy resolved: what a run is a pure function of (with the seed)."""

    name: str
    description: str = ""
    seed: int = Field(..., ge=0, le=2**63 - 1)
    replications: int = Field(..., ge=2, le=10_000)
    world: World
    arms: dict[str, Strategy]
