"""Turn pydantic and YAML failures into one line per error: file, field path, bad value, what is allowed."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


class ConfigError(Exception):
    """Bad input. Carries every problem found, each already phrased for the person who wrote it."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the last key of `loc`, to list what keys are allowed there."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[-1] if args else None  # list[X] -> X, dict[K, V] -> V
        while typing.get_origin(current) is typing.Union:
            current = next(a for a in typing.get_args(current) if a is not type(None))
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _allowed(error: dict[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        owner = _model_at(model, tuple(error["loc"][:-1]))
        if owner is not None:
            return "unknown key; allowed keys: " + ", ".join(owner.model_fields)
        return "unknown key"
    if kind == "literal_error":
        return f"allowed: {ctx.get('expected')}"
    if kind == "missing":
        return "required field is missing"
    return error["msg"]


def from_validation(
    err: ValidationError, file: Path | str, model: type[BaseModel], prefix: tuple[Any, ...] = ()
) -> ConfigError:
    lines = []
    for e in err.errors():
        loc = prefix + tuple(e["loc"])
        value = "" if e["type"] == "missing" else f" (got {e.get('input')!r:.80})"
        lines.append(f"{file}: {_dotted(loc)}: {_allowed(e, model)}{value}")
    return ConfigError(lines)
