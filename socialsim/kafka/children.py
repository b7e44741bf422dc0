"""Child processes that cannot outlive the run that started them.

A run stops its broker and services by PID when it ends, fails or is interrupted; this covers
the case where the run itself is killed outright (SIGKILL, an out-of-memory kill), when no
cleanup code runs: on Linux the kernel then sends each child SIGTERM.
"""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """`preexec_fn` for Popen: ask the kernel to SIGTERM this child when its parent exits."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
