"""Wall time of a Kafka run beside the in-process run of the same config, two Kafka runs at once,
and the time to recover a killed strategy service.

    python bench/transport.py [--scenario credit-card-issuer] [--customers N] [--days N]
                              [--replications N] [--partitions 3] [--no-concurrent] [--no-recovery]

Sizes default to the scenario's own (credit-card-issuer: 4,000 customers x 180 days, 8
replications in one lockstep). The Kafka run uses the embedded broker and one strategy service
process per strategy, started and stopped as `socialsim compare --transport kafka` does; its
start-up (broker, topics, services) is timed apart from the run. Then two comparisons (seeds s and
s+1) run at once, each in its own process, against one broker and one set of long-lived services.
Every Kafka run must give the in-process outcomes of its seed, which is checked. Records are the
events published and consumed on a run's topics. Machines are shared and noisy: compare ratios.

Where the time goes: CPU time per tick of the simulator process, the broker and the strategy
services during the single Kafka run (Linux /proc), from the end of its first simulated day
(start-up, imports and the services' group join are over by then) to its end, with the wall
time per tick over the same ticks, so a wait can be told from work.

Recovery: a third Kafka run SIGKILLs one strategy service halfway through (`RECOVERY_VICTIM`, at
the first tick of a simulated day plus `KILL_HOUR` hours, so replay covers that many ticks after
the snapshot); the run replaces it and must still give the in-process outcomes. Reported: the time
from the kill to the next answered tick, and of it, how long the new process took to start (its
log's first "FastStream app starting" line) and to restore and replay.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from socialsim.configload import SCENARIO_DIR, config_sha256, load_scenario, with_run_options
from socialsim.contracts.scenario import Scenario
from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.stack import Services, kafka_stack, new_run_id, strategies_of

Outcomes = dict[str, dict[str, list[float]]]


def in_process(sc: Scenario) -> tuple[Outcomes, float]:
    t0 = time.perf_counter()
    result = run(sc, inprocess_transport(), baseline=no_social(), keep_events=False, series_every_ticks=24)
    return result.per_arm, time.perf_counter() - t0


Measured = tuple[Outcomes, float, int, float, dict[str, float]]
# outcomes, run seconds, records, start-up seconds, per tick after day 1 [s]: CPU by process, wall


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far [s] (Linux /proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def over_kafka(sc: Scenario, partitions: int, bootstrap: str | None = None) -> Measured:
    """With its own broker and services, or with the long-lived services on `bootstrap`."""
    t0 = time.perf_counter()
    with kafka_stack(
        sc,
        new_run_id(config_sha256(sc)),
        bootstrap=bootstrap,
        partitions=partitions,
        external_services=bootstrap is not None,
    ) as k:
        pids = {name: proc.pid for name, proc in k.services.processes.items()} if bootstrap is None else {}
        if k.broker is not None:
            pids["broker"] = k.broker.process.pid
        ticks_per_day = 1440 // int(sc.world.horizon.tick_minutes)
        marks: dict[int, tuple[float, dict[str, float]]] = {}

        def progress(done: int, total: int) -> None:
            if done in (ticks_per_day, total):
                cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
                marks[done] = (time.perf_counter(), cpu | {"simulator": time.process_time()})

        started = time.perf_counter()
        result = run(
            sc, k.transport, baseline=no_social(), keep_events=False, series_every_ticks=24, progress=progress
        )
        took = time.perf_counter() - started
        (w0, cpu0), (w1, cpu1) = marks[min(marks)], marks[max(marks)]
        ticks = (max(marks) - min(marks)) * -(-sc.replications // 8)
        per_tick = {name: (cpu1[name] - cpu0[name]) / ticks for name in cpu0} | {"wall": (w1 - w0) / ticks}
        return result.per_arm, took, k.transport.records, started - t0, per_tick


RECOVERY_VICTIM = "support-led"
KILL_HOUR = 12  # [hours] into a simulated day: the replay covers this many hourly ticks


def _logged_at(log: Path, text: str, after: float) -> float | None:
    """Wall time [s since the epoch] of the first line of `log` holding `text` logged after `after`."""
    for line in log.read_text(errors="replace").splitlines():
        if text in line:
            at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if at >= after:
                return at
    return None


def recovery(sc: Scenario, partitions: int, kill_tick: int) -> tuple[Outcomes, float, float, float | None]:
    """outcomes, median tick [s], kill -> next answered tick [s], kill -> replacement started [s]."""
    logs = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    done_at: dict[int, float] = {}
    killed: list[float] = []
    with kafka_stack(sc, new_run_id(config_sha256(sc)), partitions=partitions, log_dir=logs) as k:

        def progress(done: int, total: int) -> None:
            done_at[done] = time.perf_counter()
            if done == kill_tick:
                killed.append(time.time())
                os.kill(k.services.processes[RECOVERY_VICTIM].pid, signal.SIGKILL)

        result = run(sc, k.transport, baseline=no_social(), keep_events=False, progress=progress)
    steps = sorted(done_at[t + 1] - done_at[t] for t in range(1, kill_tick) if t + 1 in done_at)
    started = _logged_at(logs / f"{RECOVERY_VICTIM}.log", "FastStream app starting", killed[0])
    return (
        result.per_arm,
        steps[len(steps) // 2],
        done_at[kill_tick + 1] - done_at[kill_tick],
        None if started is None else started - killed[0],
    )


def checked(kafka: Outcomes, inproc: Outcomes, what: str) -> None:
    if kafka != inproc:
        raise SystemExit(f"{what}: the Kafka run's outcomes differ from the in-process run's")


def two_at_once(scs: list[Scenario], partitions: int) -> list[Measured]:
    """Both comparisons in their own processes against one broker and one set of long-lived services."""
    broker = EmbeddedBroker.start()
    services = Services(Path(tempfile.mkdtemp(prefix="bench-services-")))
    try:
        services.start(strategies_of(scs[0]), broker.bootstrap, None)
        time.sleep(8)  # the services' first consumer-group join (~5 s on the embedded broker)
        with ProcessPoolExecutor(len(scs)) as pool:
            futures = [pool.submit(over_kafka, sc, partitions, broker.bootstrap) for sc in scs]
            return [f.result() for f in futures]
    finally:
        services.stop()
        broker.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="credit-card-issuer")
    ap.add_argument("--customers", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--replications", type=int)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--no-concurrent", action="store_true", help="skip the two-comparisons-at-once part")
    ap.add_argument("--no-recovery", action="store_true", help="skip the killed-service part")
    args = ap.parse_args()
    sc = with_run_options(
        load_scenario(SCENARIO_DIR / f"{args.scenario}.yaml"),
        customers=args.customers,
        days=args.days,
        replications=args.replications,
    )
    world = sc.world
    ticks = world.horizon.days * 1440 // int(world.horizon.tick_minutes)
    print(
        f"scenario {sc.name}: {world.population.customers:,} customers x {world.horizon.days} days, "
        f"{len(sc.arms)} arms, {sc.replications} replication(s), {args.partitions} partitions, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )
    inproc, inproc_s = in_process(sc)
    kafka, kafka_s, records, setup_s, cpu = over_kafka(sc, args.partitions)
    checked(kafka, inproc, "single run")
    exchanges = ticks * -(-sc.replications // 8)  # one per tick and lockstep group of 8
    print(f"in-process run                            {inproc_s:8.1f} s")
    print(f"Kafka start-up (broker, topics, services) {setup_s:8.1f} s")
    per_tick = 1000 * kafka_s / exchanges
    print(f"Kafka run                                 {kafka_s:8.1f} s   ({per_tick:.1f} ms per tick)")
    print(f"records through the broker                {records:8,d}     ({records / kafka_s:,.0f} records/s)")
    print(f"ratio Kafka / in-process (run only)       {kafka_s / inproc_s:8.2f}")
    services = sum(v for name, v in cpu.items() if name not in ("simulator", "broker", "wall"))
    print(
        f"after day 1, per tick: wall {1000 * cpu['wall']:.1f} ms; CPU: simulator "
        f"{1000 * cpu['simulator']:.1f} ms, broker {1000 * cpu['broker']:.1f} ms, "
        f"services {1000 * services:.1f} ms"
    )
    if not args.no_concurrent:
        pair = [sc, with_run_options(sc, seed=sc.seed + 1)]
        t0 = time.perf_counter()
        both = two_at_once(pair, args.partitions)
        wall = time.perf_counter() - t0
        checked(both[0][0], inproc, "first of two at once")
        checked(both[1][0], in_process(pair[1])[0], "second of two at once")
        longest = max(r[1] for r in both)
        rate = sum(r[2] for r in both) / longest
        print(
            f"two at once, one set of services        {longest:8.1f} s   (runs {both[0][1]:.1f} s and "
            f"{both[1][1]:.1f} s; {rate:,.0f} records/s together; {wall:.1f} s with start-up)"
        )
    if not args.no_recovery:
        ticks_per_day = 1440 // int(world.horizon.tick_minutes)
        kill_tick = (world.horizon.days // 2) * ticks_per_day + KILL_HOUR * 60 // int(
            world.horizon.tick_minutes
        )
        outcomes, tick_s, recover_s, start_s = recovery(sc, args.partitions, kill_tick)
        checked(outcomes, inproc, "run with a killed service")
        start = "?" if start_s is None else f"{start_s:.1f}"
        print(
            f"recover a killed service                {recover_s:8.1f} s   (kill at tick {kill_tick} -> next "
            f"tick answered; new process up after {start} s; a tick takes {1000 * tick_s:.0f} ms otherwise)"
        )
    print(f"outcomes identical: yes   (load average {os.getloadavg()[0]:.1f} at end)")


if __name__ == "__main__":
    main()
