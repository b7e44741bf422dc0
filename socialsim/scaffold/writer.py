"""Write a scenario mapping as YAML a strategist can edit: a header saying how, and beside every
number its unit, a plausible range and where that range comes from (`ranges.RANGES`).

PyYAML cannot write comments, and the document's shape is small and fixed (mappings, lists of
mappings, scalars), so it is rendered here line by line; scalars go through `json.dumps`, whose
output is valid YAML, so no string can break the file. Every mapping is written in block style,
one number a line, so each number carries its own comment.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .ranges import comment, lookup

COMMENT_COLUMN = 40  # where the comments start, when the line is short enough [characters]
INDENT = "  "

HEADER = """\
# {description}
#
# Written by `socialsim init --template {template}`. Edit any value, then:
#   socialsim validate {file}        # one line per problem: file, field path, what is allowed
#   socialsim compare {file}         # add --customers 300 --days 7 for a quick first look
#
# Every number carries a comment: [unit], a plausible range, and where the range comes from.
# "assumption" means no published figure stands behind it: replace it with your own data when you
# have it. Money is in world.currency; the ranges assume amounts of USD size. A value outside its
# plausible range is allowed if you know better (the hard limits are in `socialsim schema`).
# Segment shares, and each segment's intents and topics, must each sum to 1. An arm names a
# strategy from config/strategies and may override its fields (dotted paths). Unknown keys are
# errors, so a typo is reported rather than ignored.
"""

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_PLAIN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9_ .&-]*[A-Za-z0-9.]")


def _key(key: Any) -> str:
    text = str(key)
    return text if _PLAIN_KEY.match(text) else json.dumps(text)


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN_TEXT.fullmatch(text) and yaml.safe_load(text) == text:
        return text  # plain scalars read better: USD, marketing-led
    return json.dumps(text, ensure_ascii=False)


def _line(text: str, path: tuple[Any, ...], value: Any) -> str:
    entry = lookup(path) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if entry is None:
        return text
    return f"{text.ljust(COMMENT_COLUMN - 1)} # {comment(entry[0])}"


def _render(data: Any, path: tuple[Any, ...], depth: int) -> list[str]:
    """Lines for a mapping or list whose entries sit at `depth` indents."""
    pad = INDENT * depth
    lines: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            where = (*path, key)
            if isinstance(value, dict | list) and value:
                lines.append(f"{pad}{_key(key)}:")
                lines.extend(_render(value, where, depth + 1))
            else:
                shown = "{}" if value == {} else "[]" if value == [] else _scalar(value)
                lines.append(_line(f"{pad}{_key(key)}: {shown}", where, value))
        return lines
    for i, item in enumerate(data):
        body = _render(item, (*path, i), depth + 1) if isinstance(item, dict | list) else None
        if body:
            lines.append(f"{pad}- {body[0].lstrip()}")
            lines.extend(body[1:])
        else:
            lines.append(_line(f"{pad}- {_scalar(item)}", (*path, i), item))
    return lines


def render(data: dict[str, Any], template: str, file: str) -> str:
    """The whole file: header, then the scenario."""
    description = str(data.get("description", "")).replace("\n", "\n# ")
    header = HEADER.format(description=description, template=template, file=file)
    return header + "\n" + "\n".join(_render(data, (), 0)) + "\n"
