"""Process checks for tests that must prove nothing is left running (Linux /proc)."""

from __future__ import annotations

import os


def _stat(pid: int | str) -> list[str] | None:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # after "(command name)"
    except OSError:
        return None


def alive(pid: int | str) -> bool:
    """Running, not gone and not a zombie waiting to be reaped."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def children(pid: int) -> list[int]:
    """Live processes whose parent is `pid`."""
    out = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        stat = _stat(p)
        if stat is not None and int(stat[1]) == pid and stat[0] != "Z":
            out.append(int(p))
    return out


def descendants(pid: int) -> set[int]:
    """Live processes started, directly or not, by `pid`."""
    found, todo = set(), [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
