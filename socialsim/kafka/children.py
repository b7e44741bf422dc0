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
# libc's prctl, bound once here rather than in each child (see `die_with_parent`); Linux only
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
if _prctl is not None:
    _prctl.argtypes, _prctl.restype = [ctypes.c_int, ctypes.c_ulong], ctypes.c_int


def die_with_parent() -> None:
    """`preexec_fn` for Popen: SIGINT and SIGTERM at their defaults in the child, and the kernel to
    SIGTERM it when its parent exits — strictly, when the thread that started it exits, so start
    children from a thread that lives as long as they do. Only calls already bound: the child of
    a process with threads must not load or look up anything before it execs."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
