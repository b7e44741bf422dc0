"""Base model for config files: unknown keys are errors, so a typo never silently does nothing."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
