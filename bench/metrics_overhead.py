"""What serving metrics costs a run: the same in-process run with and without `--metrics-port`.

    python bench/metrics_overhead.py [--customers 20000] [--days 90] [--repeats 3]

The metered run serves /metrics and is scraped once a second by a thread here, as Prometheus
would. Prints the median wall time of each and the overhead; the aim is under 5%. Machines are
shared and noisy: repeat, and compare medians.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import urllib.request

from socialsim.bootstrap import inprocess_transport, no_social, run_telemetry
from socialsim.comparison import run
from socialsim.configload import SCENARIO_DIR, load_scenario, with_run_options
from socialsim.contracts.scenario import Scenario
from socialsim.kafka.broker import free_port
from socialsim.telemetry.server import serving


def timed(sc: Scenario, metered: bool) -> float:
    telemetry = run_telemetry(sc, policies_here=True, enabled=metered)
    port = free_port() if metered else None
    stop = threading.Event()

    def scrape() -> None:
        while not stop.wait(1.0):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()

    with serving(telemetry.registry, port):
        scraper = threading.Thread(target=scrape, daemon=True)
        if metered:
            scraper.start()
        start = time.perf_counter()
        run(
            sc,
            inprocess_transport(telemetry.meter),
            baseline=no_social(),
            keep_events=False,
            series_every_ticks=24,
            watch=telemetry.readings,
        )
        elapsed = time.perf_counter() - start
        stop.set()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="credit-card-issuer")
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sc = with_run_options(
        load_scenario(SCENARIO_DIR / f"{args.scenario}.yaml"),
        customers=args.customers,
        days=args.days,
        replications=args.replications,
    )
    plain, metered = [], []
    for _ in range(args.repeats):  # interleaved, so drift in machine load hits both alike
        plain.append(timed(sc, False))
        metered.append(timed(sc, True))
    p, m = statistics.median(plain), statistics.median(metered)
    print(
        f"scenario {sc.name}: {args.customers:,} customers x {args.days} days, {len(sc.arms)} arms, "
        f"{args.replications} replications, {args.repeats} repeats"
    )
    print(f"without metrics (median)   {p:8.2f} s   {[round(x, 2) for x in plain]}")
    print(f"with /metrics scraped 1/s  {m:8.2f} s   {[round(x, 2) for x in metered]}")
    print(f"overhead                   {100 * (m - p) / p:8.1f} %  (aim < 5%)")


if __name__ == "__main__":
    main()
