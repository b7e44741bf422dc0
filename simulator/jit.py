"""The one way the world compiles a loop: numba's `njit`, typed for mypy (numba has no stubs).

Used only where a profile shows numpy's per-call cost, not its arithmetic, is the time (small
arrays handled by dozens of calls a tick). No fastmath, so compiled float64 arithmetic is the
IEEE arithmetic numpy does, bit for bit. `cache=True` keeps the machine code on disk next to the
module, so the compile (seconds) happens once per machine rather than once per run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

_F = TypeVar("_F", bound=Callable[..., Any])


def compiled(f: _F) -> _F:
    return cast(_F, numba.njit(cache=True)(f))
