"""Wall time of a Kafka run beside the in-process run of the same config.

    python bench/transport.py [--customers 20000] [--days 180] [--replications 2] [--partitions 3]

The Kafka run uses the embedded broker and one strategy service process per arm, started and
stopped as `socialsim compare --transport kafka` does; its start-up (broker, topics, services)
is timed apart from the run. Both runs must give the same outcomes, which is checked. Machines
are shared and noisy: compare the ratio, not seconds.
"""

from __future__ import annotations

import argparse
import time

from socialsim.bootstrap import inprocess_transport
from socialsim.comparison import run
from socialsim.configload import SCENARIO_DIR, config_sha256, load_scenario, with_run_options
from socialsim.kafka.stack import kafka_stack, new_run_id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="credit-card-issuer")
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=3)
    args = ap.parse_args()
    path = SCENARIO_DIR / f"{args.scenario}.yaml"
    sc = with_run_options(
        load_scenario(path), customers=args.customers, days=args.days, replications=args.replications
    )

    t0 = time.perf_counter()
    inproc = run(sc, inprocess_transport(), keep_events=False, series_every_ticks=24)
    inproc_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    with kafka_stack(sc, new_run_id(config_sha256(sc)), partitions=args.partitions) as k:
        started = time.perf_counter()
        kafka = run(sc, k.transport, keep_events=False, series_every_ticks=24)
        kafka_s = time.perf_counter() - started
    setup_s = started - t1
    if kafka.per_arm != inproc.per_arm:
        raise SystemExit("the Kafka run's outcomes differ from the in-process run's")

    exchanges = args.days * 1440 // int(sc.world.horizon.tick_minutes)  # one per tick: replications share it
    print(
        f"scenario {sc.name}: {args.customers:,} customers x {args.days} days, {len(sc.arms)} arms, "
        f"{args.replications} replication(s), {args.partitions} partitions"
    )
    print(f"in-process run                        {inproc_s:8.1f} s")
    print(f"Kafka start-up (broker, topics, services) {setup_s:4.1f} s")
    print(
        f"Kafka run                             {kafka_s:8.1f} s   "
        f"({1000 * kafka_s / exchanges:.1f} ms per tick)"
    )
    print(f"ratio Kafka / in-process (run only)   {kafka_s / inproc_s:8.2f}")
    print("outcomes identical: yes")


if __name__ == "__main__":
    main()
