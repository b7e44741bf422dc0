"""A process pool whose workers leave with the process that started them.

A command killed with SIGKILL cannot stop its pool, and a worker in the middle of a simulation
would go on computing for nobody; each worker here watches its parent and exits once it is gone.
`explore`, `sensitivity` and `facts` use it to spread independent simulations over the cores.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

# How often a worker checks that the process that started it is still alive [s]
PARENT_POLL_S = 1.0


def _exit_with_parent(parent: int, poll_s: float) -> None:
    """Worker initializer: leave at once when the parent is gone (see the module doc)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers, initializer=_exit_with_parent, initargs=(os.getpid(), PARENT_POLL_S)
    )
