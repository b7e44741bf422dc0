"""Turn pydantic and YAML failures into one line per error: file, field path, bad value, what is allowed.

A bad value can be anything a hostile file holds: a megabyte string, a list nested a thousand
deep, an alias bomb that expands to billions of items. So nothing here ever builds the full `repr`
of a value: excerpts come from a bounded `reprlib.Repr`, and every line is cut to a fixed length.
"""

from __future__ import annotations

import reprlib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

# Longest error line printed [characters]: enough for file, field path, rule and a short excerpt.
MAX_LINE_CHARS = 400
# Longest excerpt of a bad value or key quoted in a line [characters].
MAX_EXCERPT_CHARS = 60


def _bounded_repr() -> reprlib.Repr:
    bounded = reprlib.Repr()
    bounded.maxlevel = 2
    bounded.maxtuple = bounded.maxlist = bounded.maxarray = bounded.maxdict = 4
    bounded.maxset = bounded.maxfrozenset = bounded.maxdeque = 4
    bounded.maxstring = bounded.maxlong = bounded.maxother = MAX_EXCERPT_CHARS
    return bounded


_EXCERPT = _bounded_repr()


def excerpt(value: Any) -> str:
    """A short repr of any value, built in time and memory bounded by the limits above."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * MAX_EXCERPT_CHARS:
        return f"<an integer of {value.bit_length()} bits>"  # repr of a huge int is slow, even refused
    return _EXCERPT.repr(value)


def _one_line(line: str) -> str:
    flat = " ".join(line.split())
    return flat if len(flat) <= MAX_LINE_CHARS else flat[: MAX_LINE_CHARS - 3] + "..."


class ConfigError(Exception):
    """Bad input. Carries every problem found, each already phrased for the person who wrote it,
    each on one line of bounded length (whatever text a hostile value slipped into it)."""

    def __init__(self, lines: list[str]):
        self.lines = [_one_line(line) for line in lines]
        super().__init__("\n".join(self.lines))


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = str(part) if isinstance(part, str) and len(part) <= MAX_EXCERPT_CHARS else excerpt(part)
            out += ("." if out else "") + key
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


def _allowed(error: Mapping[str, Any], model: type[BaseModel]) -> str:
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
    if kind == "finite_number":
        return "must be a finite number (not NaN or infinity)"
    return str(error["msg"])


def from_validation(
    err: ValidationError, file: Path | str, model: type[BaseModel], prefix: tuple[Any, ...] = ()
) -> ConfigError:
    lines = []
    for e in err.errors(include_url=False):
        loc = prefix + tuple(e["loc"])
        value = "" if e["type"] in ("missing", "extra_forbidden") else f" (got {excerpt(e.get('input'))})"
        lines.append(f"{file}: {_dotted(loc)}: {_allowed(e, model)}{value}")
    return ConfigError(lines)
