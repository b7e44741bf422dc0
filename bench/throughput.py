"""Throughput of the in-process comparison beside a bare SimPy loop making as many events.

    python bench/throughput.py [--customers 100000] [--days 365] [--scenario credit-card-issuer]

Prints wall times, simulated conversations per second, and the ratio model / bare loop. The
bare loop is the floor: SimPy itself scheduling the same number of events (one timeout per
conversation and one per response), with the garbage collector frozen after setup as the model
does. Machines are shared and noisy: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import gc
import time

import simpy

from simulator.model import Replications, draw_shared
from socialsim.bootstrap import inprocess_transport
from socialsim.configload import SCENARIO_DIR, load_scenario, with_run_options


def bare_simpy(processes: int, events: int) -> float:
    """`processes` generators, each yielding timeouts, `events` timeouts in all."""
    env = simpy.Environment()
    per = events // processes

    def actor(env: simpy.Environment, offset: float):
        for _ in range(per):
            yield env.timeout(1.0 + offset)

    for i in range(processes):
        env.process(actor(env, i / processes))
    gc.freeze()
    start = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - start
    gc.unfreeze()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="credit-card-issuer")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    args = ap.parse_args()
    sc = with_run_options(
        load_scenario(SCENARIO_DIR / f"{args.scenario}.yaml"), customers=args.customers, days=args.days
    )
    t0 = time.perf_counter()
    shared = draw_shared(sc, 0)
    rep = Replications(
        sc, [0], inprocess_transport(), keep_events=False, series_every_ticks=24, shared={0: shared}
    )
    setup = time.perf_counter() - t0
    gc.freeze()
    t1 = time.perf_counter()
    worlds = rep.run()
    model = time.perf_counter() - t1
    gc.unfreeze()
    conversations = sum(w.rec.conversations for w in worlds.values())
    responses = sum(w.rec.answered for w in worlds.values()) + sum(
        w.rec.conversations - w.rec.answered for w in worlds.values()
    )
    events = conversations + responses
    bare = bare_simpy(min(args.customers, 100_000), events)
    print(
        f"scenario {sc.name}: {args.customers:,} customers x {args.days} days, "
        f"{len(sc.arms)} arms, 1 replication"
    )
    print(f"setup (population, network, candidates)  {setup:8.1f} s")
    print(f"model run (all arms, in-process)         {model:8.1f} s")
    print(f"conversations simulated (all arms)       {conversations:,}")
    print(f"simulated conversations per second       {conversations / model:,.0f}")
    print(f"bare SimPy loop, {events:,} events       {bare:8.1f} s")
    print(f"ratio model / bare SimPy                 {model / bare:8.2f}")


if __name__ == "__main__":
    main()
