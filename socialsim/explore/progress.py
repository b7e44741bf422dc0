"""A progress bar with ETA for sweeps, on stderr; silent when stderr is not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def _nothing() -> None:
    pass


@dataclass
class SweepProgress:
    """`between_points` is called as each point lands in the store, before the bar moves on: where
    a sweep can stop with nothing half done."""

    bar: Progress
    task: TaskID
    between_points: Callable[[], None] = _nothing

    def start(self, done: int, total: int) -> None:
        """Points already in the store count as done (said once, so a resume is visible)."""
        if done:
            self.bar.console.print(f"resuming: {done} of {total} points already done", highlight=False)
        self.bar.reset(self.task, total=total, completed=done)

    def point(self, index: int) -> None:
        self.between_points()
        self.bar.advance(self.task)


@contextmanager
def sweep_progress(console: Console, label: str) -> Iterator[SweepProgress]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        yield SweepProgress(bar, bar.add_task(label, total=None))
