"""A run stopped by SIGTERM or Ctrl-C says so in its one line, however often the user signals it.

An impatient user sends SIGTERM (or Ctrl-C) again and again until the run exits. Here the next
signal arrives at the worst moment, exactly while the final line is being written: the terminal is
a file that signals the process on every write. Such a signal must not cut the line short (typer
turns a KeyboardInterrupt into a silent exit 130, so the user would get no line at all).

The run itself is replaced by one that the user stops at once (the thing under test is what
follows the stop); the Ctrl-C stop at a tick boundary is a real, tiny in-process run.
tests/integration/test_faults.py sends the signals to a real Kafka run from outside.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console

from socialsim.bootstrap import RunRequest, simulate
from socialsim.cli import runs
from socialsim.cli.runs import EXIT_INTERRUPTED, execute, load_request

STOPPED = "interrupted: every process the run started has been stopped"


class ImpatientTerminal(io.StringIO):
    """A terminal whose user sends `sig` to the process whenever something is written to it."""

    def __init__(self, sig: signal.Signals) -> None:
        super().__init__()
        self.sig = sig

    def write(self, text: str) -> int:
        os.kill(os.getpid(), self.sig)  # its Python handler runs before the text is kept
        return super().write(text)


@pytest.fixture(autouse=True)
def handlers_restored() -> Iterator[None]:
    """A stopped run leaves SIGINT and SIGTERM ignored until its process exits; not pytest's."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def request(tmp_path: Path) -> RunRequest:
    return load_request(
        "credit-card-issuer", None, "inproc", out=str(tmp_path / "o"), customers=150, days=3, checkpoints=True
    )


def exit_code(req: RunRequest) -> int:
    """How `execute` ends: the exit code it raises (what typer would make of an escaped interrupt
    is a silent 130, so an interrupt escaping fails here, not as a Ctrl-C of the test session)."""
    try:
        execute(req)
    except typer.Exit as exited:
        return exited.exit_code
    except KeyboardInterrupt:
        pytest.fail("an interrupt escaped the stopped run: typer would exit 130 without its line")
    raise AssertionError("the run was not stopped")


def stopped_by(*signals: signal.Signals) -> Any:
    """A run the user stops at once by sending `signals`, one after the other."""

    def simulate(req: RunRequest, **callbacks: Any) -> Any:
        for sig in signals:
            os.kill(os.getpid(), sig)
        raise AssertionError("the signals did not stop the run")

    return simulate


def at_the_first_tick(act: Callable[[], object]) -> Any:
    """The real run, which does `act()` once its first tick is done."""

    def simulate_acting(req: RunRequest, **callbacks: Any) -> Any:
        progress = callbacks["progress"]

        def on_tick(done: int, total: int) -> None:
            if done == 1:
                act()
            progress(done, total)

        return simulate(req, **{**callbacks, "progress": on_tick})

    return simulate_acting


@pytest.mark.parametrize(
    ("stops", "then"),
    [
        ((signal.SIGTERM,), signal.SIGTERM),
        ((signal.SIGINT, signal.SIGINT), signal.SIGINT),  # the second Ctrl-C stops at once
        ((signal.SIGINT, signal.SIGINT), signal.SIGTERM),
    ],
    ids=["sigterm", "ctrl-c", "ctrl-c-then-sigterm"],
)
def test_a_signal_while_the_stopped_run_writes_its_line_does_not_cut_it(monkeypatch, tmp_path, stops, then):
    terminal = ImpatientTerminal(then)
    monkeypatch.setattr(runs, "err_console", Console(file=terminal, width=200))
    monkeypatch.setattr(runs, "simulate", stopped_by(*stops))
    assert exit_code(request(tmp_path)) == EXIT_INTERRUPTED
    assert terminal.getvalue().splitlines() == [STOPPED]
    # and none of the signals still coming can interrupt the exit (Python's finalization resets a
    # signal handled in Python to its default, which would kill the process; an ignored one it keeps)
    assert {signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} == {signal.SIG_IGN}


def test_a_sigterm_while_a_run_stopped_at_a_tick_writes_its_line_does_not_cut_it(monkeypatch, tmp_path):
    terminal = ImpatientTerminal(signal.SIGTERM)
    monkeypatch.setattr(runs, "err_console", Console(file=terminal, width=400))
    monkeypatch.setattr(runs, "simulate", at_the_first_tick(lambda: os.kill(os.getpid(), signal.SIGINT)))
    assert exit_code(request(tmp_path)) == EXIT_INTERRUPTED
    (line,) = terminal.getvalue().splitlines()
    assert line.startswith("interrupted: 0 of ") and "--resume" in line, line


# A stop at once cuts the Kafka clients short, mid-call: one may leave a coroutine never awaited,
# in a reference cycle that only the garbage collector frees, as late as the interpreter's exit
# (`sys:1: RuntimeWarning: coroutine 'Fetcher._proc_fetch_request' was never awaited`). Here such a
# coroutine is left by the run the user stops, and the collector runs at exit only, as it did then.
ORPHANING_RUN = """
import gc, os, signal, sys
gc.disable()
from socialsim.cli import main, runs

async def fetch(): pass

class Client: pass

def simulate(req, **callbacks):
    client = Client()
    client.itself, client.call = client, fetch()  # created, never awaited: cut short
    os.kill(os.getpid(), signal.SIGTERM)

runs.simulate = simulate
sys.argv[1:] = ["compare", "credit-card-issuer", "--customers", "150", "--days", "3", "--out", sys.argv[1]]
main()
"""


def test_what_the_stop_cuts_short_adds_no_warning_to_the_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", ORPHANING_RUN, str(tmp_path / "o")], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr.splitlines()) == (EXIT_INTERRUPTED, [STOPPED]), done.stderr


class SignalsWhenFreed:
    """Sends SIGTERM from its finalizer: the handler's KeyboardInterrupt is raised there, and Python
    drops an exception raised in a finalizer ("Exception ignored in ..."), as it does in a weakref
    callback or a fork hook, where a real SIGTERM can land just the same."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


# the stop's one line says what happened: Python's report of the exception it dropped would be noise
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_sigterm_python_drops_in_a_finalizer_still_stops_the_run(monkeypatch, tmp_path):
    terminal = io.StringIO()
    monkeypatch.setattr(runs, "err_console", Console(file=terminal, width=200))
    monkeypatch.setattr(runs, "simulate", at_the_first_tick(SignalsWhenFreed))  # freed at once
    assert exit_code(request(tmp_path)) == EXIT_INTERRUPTED
    assert terminal.getvalue().splitlines() == [STOPPED]
