"""Pacing of a live run: how much simulated time passes per unit of wall time."""

from __future__ import annotations

import math
import re

from .configerrors import ConfigError

_UNITS_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# Slowest pace accepted [wall seconds per simulated minute]: slower than this a live run looks stuck.
MAX_WALL_S_PER_SIMULATED_MINUTE = 3600.0
_PACE = re.compile(r"^\s*(\d+(?:\.\d+)?)([smhd])\s*=\s*(\d+(?:\.\d+)?)([smhd])\s*$")


def parse_pace(text: str) -> float:
    """`1d=2s` (one simulated day every two wall seconds) -> wall seconds per simulated minute."""
    m = _PACE.match(text)
    if not m or float(m.group(1)) <= 0 or float(m.group(3)) <= 0:
        raise ConfigError(
            [
                f"--pace: expected SIMULATED=WALL with positive numbers and units s, m, h or d, "
                f"e.g. 1d=2s (got {text[:40]!r})"
            ]
        )
    simulated_s = float(m.group(1)) * _UNITS_S[m.group(2)]
    wall_s = float(m.group(3)) * _UNITS_S[m.group(4)]
    pace = wall_s / (simulated_s / 60.0)
    if not (math.isfinite(pace) and 0 < pace <= MAX_WALL_S_PER_SIMULATED_MINUTE):
        raise ConfigError(
            [
                f"--pace {text[:40]!r}: gives {pace:.3g} wall seconds per simulated minute; "
                f"allowed: above 0 and at most {MAX_WALL_S_PER_SIMULATED_MINUTE:g}"
            ]
        )
    return pace
