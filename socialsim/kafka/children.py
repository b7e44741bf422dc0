"""Child processes that cannot outlive the run that started them.

A run stops its broker and services by PID when it ends, fails or is interrupted; this covers
the case where the run itself is killed outright (SIGKILL, an out-of-memory kill), when no
cleanup code runs: on Linux the kernel then sends each child SIGTERM.

A child must also start able to take that SIGTERM. A process inherits ignored signals across
exec, and a run being stopped ignores SIGINT and SIGTERM (`socialsim.cli.console`): a child it
started in that moment would ignore every SIGTERM sent to stop it, the kernel's included.
"""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """`preexec_fn` for Popen: SIGINT and SIGTERM at their defaults in the child, and the kernel to
    SIGTERM it when its parent exits — strictly, when the thread that started it exits, so start
    children from a thread that lives as long as they do. Through libc: Python's `signal.signal`
    works in the main thread only, and Popen may be called from another (the child is about to
    exec anyway)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            libc.signal(sig, signal.SIG_DFL.value)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
