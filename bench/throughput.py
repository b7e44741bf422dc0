"""Throughput of the in-process comparison beside a bare SimPy loop making as many events.

    python bench/throughput.py [--customers 100000] [--days 365] [--replications 1]
    python bench/throughput.py --fit      # how time grows with customers and with days
    python bench/throughput.py --quick    # the same fit at small sizes (about a minute)

Prints CPU and wall times, simulated conversations per second, and the ratio model / bare loop. The
bare loop is the floor: SimPy itself scheduling the same number of events (one timeout per
conversation and one per response), with the garbage collector frozen after setup as the model
does. Times are CPU seconds of this process (`time.process_time`), which other work on a
shared machine disturbs far less than wall time; wall seconds are printed beside them. `--fit`
fits log(time) against log(customers) and log(days) (least squares) and prints the exponents:
1.0 is linear; each of its rows runs in a fresh process. Compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import simpy

from simulator.model import Replications, draw_shared
from socialsim.bootstrap import inprocess_transport
from socialsim.configload import SCENARIO_DIR, load_scenario, with_run_options

# Bare-loop actors: as many generators as customers, up to this many [processes].
MAX_BARE_PROCESSES = 100_000
# Series rows every this many ticks while benchmarking (a day at 60-minute ticks) [ticks].
SERIES_EVERY_TICKS = 24
# (customers, days) grids for --fit and --quick: customers vary at the first days, days at the
# first customers.
FIT_CUSTOMERS, FIT_DAYS = (10_000, 20_000, 50_000, 100_000, 200_000), (30, 90, 180, 365)
QUICK_CUSTOMERS, QUICK_DAYS = (4_000, 8_000, 16_000), (30, 60, 120)
# A run this small before the measured one (a week: day ends and broadcasts included), so that
# first-call costs (imports, compiled kernels loaded from numba's cache, or compiled on a
# machine's first run) are not counted as the model's [customers], [days].
WARMUP_CUSTOMERS, WARMUP_DAYS = 2_000, 7
# Exponent above which the cost is reported as growing faster than linearly.
LINEAR_EXPONENT_LIMIT = 1.1


@dataclass(frozen=True)
class Timed:
    cpu_s: float  # CPU time of this process [s]
    wall_s: float  # [s]


class Stopwatch:
    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def read(self) -> Timed:
        return Timed(time.process_time() - self.cpu, time.perf_counter() - self.wall)


@dataclass(frozen=True)
class Measured:
    setup: Timed  # population, network, candidates for every replication
    model: Timed  # the lockstep run, all arms and replications
    conversations: int  # simulated conversations, all arms and replications
    events: int  # conversations + responses: what the bare loop is asked to schedule


def bare_simpy(processes: int, events: int) -> Timed:
    """`processes` generators, each yielding timeouts, `events` timeouts in all."""
    env = simpy.Environment()
    per = events // processes

    def actor(env: simpy.Environment, offset: float):
        for _ in range(per):
            yield env.timeout(1.0 + offset)

    for i in range(processes):
        env.process(actor(env, i / processes))
    gc.freeze()
    watch = Stopwatch()
    env.run()
    elapsed = watch.read()
    gc.unfreeze()
    return elapsed


def measure(scenario: str, customers: int, days: int, replications: int) -> Measured:
    sc = with_run_options(load_scenario(SCENARIO_DIR / f"{scenario}.yaml"), customers=customers, days=days)
    reps = list(range(replications))
    watch = Stopwatch()
    shared = {rep: draw_shared(sc, rep) for rep in reps}
    rep = Replications(
        sc, reps, inprocess_transport(), False, series_every_ticks=SERIES_EVERY_TICKS, shared=shared
    )
    setup = watch.read()
    gc.freeze()  # setup's arrays and objects live all run: no collection needs to walk them
    watch = Stopwatch()
    worlds = rep.run()
    model = watch.read()
    gc.unfreeze()
    conversations = sum(w.rec.conversations for w in worlds.values())
    # every conversation gets one response (an answer, or "none" when given up)
    return Measured(setup, model, conversations, 2 * conversations)


def throughput(args: argparse.Namespace) -> None:
    measure(args.scenario, WARMUP_CUSTOMERS, WARMUP_DAYS, 1)
    m = measure(args.scenario, args.customers, args.days, args.replications)
    bare = bare_simpy(min(args.customers, MAX_BARE_PROCESSES), m.events)
    print(
        f"scenario {args.scenario}: {args.customers:,} customers x {args.days} days, 4 arms, "
        f"{args.replications} replication(s)"
    )
    print(f"{'':41}  CPU s   wall s")
    print(f"setup (population, network, candidates)  {m.setup.cpu_s:6.1f}  {m.setup.wall_s:7.1f}")
    print(f"model run (all arms, in-process)         {m.model.cpu_s:6.1f}  {m.model.wall_s:7.1f}")
    print(f"bare SimPy loop, {m.events:>11,} events    {bare.cpu_s:6.1f}  {bare.wall_s:7.1f}")
    print(f"conversations simulated (all arms)       {m.conversations:,}")
    print(f"simulated conversations per CPU second   {m.conversations / m.model.cpu_s:,.0f}")
    print(f"ratio model / bare SimPy (CPU)           {m.model.cpu_s / bare.cpu_s:6.2f}")
    print(f"ratio model / bare SimPy (wall)          {m.model.wall_s / bare.wall_s:6.2f}")


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope of log(seconds) against log(size): time ∝ size ** slope."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def measured_alone(scenario: str, customers: int, days: int) -> Measured:
    """`measure` in a fresh process after its own warm-up: rows measured one after another in one
    process slow down with the heap the earlier ones left (the 365-day row by ~20%)."""
    cmd = [sys.executable, __file__, "--row", scenario, str(customers), str(days)]
    setup, model, conversations = json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)
    return Measured(Timed(setup, setup), Timed(model, model), conversations, 2 * conversations)


def row(scenario: str, customers: int, days: int) -> None:
    """The child of `measured_alone`: prints [setup CPU s, model CPU s, conversations]."""
    measure(scenario, WARMUP_CUSTOMERS, WARMUP_DAYS, 1)
    m = measure(scenario, customers, days, 1)
    print(json.dumps([m.setup.cpu_s, m.model.cpu_s, m.conversations]))


def fit(args: argparse.Namespace, customers: tuple[int, ...], days: tuple[int, ...]) -> None:
    def row(n: int, d: int) -> Measured:
        m = measured_alone(args.scenario, n, d)
        print(
            f"{n:>9,} customers x {d:>3} days: setup {m.setup.cpu_s:6.2f} s, run {m.model.cpu_s:7.2f} s CPU"
        )
        return m

    by_customers = [row(n, days[0]) for n in customers]
    by_days = [row(customers[0], d) for d in days]
    for what, sizes, ms in (("customers", list(customers), by_customers), ("days", list(days), by_days)):
        run_k = exponent(sizes, [m.model.cpu_s for m in ms])
        setup_k = exponent(sizes, [m.setup.cpu_s for m in ms])
        verdict = "linear" if run_k <= LINEAR_EXPONENT_LIMIT else "FASTER THAN LINEAR"
        print(f"time ∝ {what} ** {run_k:.2f} (run, {verdict}); setup ∝ {what} ** {setup_k:.2f}")
        # the work itself grows with the customer base (acquisitions), so read time against it too
        work_k = exponent(sizes, [m.conversations for m in ms])
        per = run_k - work_k
        print(f"  conversations ∝ {what} ** {work_k:.2f}: time per conversation ∝ {what} ** {per:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="credit-card-issuer")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--replications", type=int, default=1)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--fit", action="store_true", help="fit time against customers and days")
    mode.add_argument("--quick", action="store_true", help="--fit at small sizes")
    if len(sys.argv) > 1 and sys.argv[1] == "--row":  # a child of `measured_alone`
        row(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # rows as they come
    if args.fit:
        fit(args, FIT_CUSTOMERS, FIT_DAYS)
    elif args.quick:
        fit(args, QUICK_CUSTOMERS, QUICK_DAYS)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
